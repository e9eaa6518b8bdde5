package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/tenant"
)

// openTenants loads the config, migrates, opens the store and builds the
// tenant service. TODO(lead): build it with core/app's builder so the CLI gets
// the same provisioning hooks, counters and audit recorder as serve.
func openTenants(ctx context.Context) (*tenant.Service, func(), error) {
	cfg, err := app.LoadConfig()
	if err != nil {
		return nil, nil, err
	}
	// The same wiring as serve, so manifests provision users and roles and
	// seed demo data exactly as on first start.
	a, err := app.New(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return a.Tenants, func() { a.Close() }, nil
}

// cliActor names the person at the terminal in the audit log.
func cliActor(ctx context.Context) context.Context {
	name := "cli"
	if u, err := user.Current(); err == nil {
		name = "cli:" + u.Username
	}
	return actor.With(ctx, actor.Actor{Kind: actor.Operator, Name: name})
}

func tenantsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{Use: "tenants", Short: "Administer tenants (property companies): create, list, suspend, apply manifests"}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")

	// run opens the service, runs fn and prints its result as JSON or with text.
	run := func(fn func(ctx context.Context, s *tenant.Service, out io.Writer) (any, func(io.Writer) error, error)) func(*cobra.Command, []string) error {
		return func(c *cobra.Command, _ []string) error {
			s, closeDB, err := openTenants(c.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			v, text, err := fn(cliActor(c.Context()), s, c.OutOrStdout())
			if err != nil {
				return cliError(err)
			}
			if asJSON {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			return text(c.OutOrStdout())
		}
	}
	resolve := func(ctx context.Context, s *tenant.Service, ref string) (tenant.Tenant, error) {
		return s.Get(ctx, ref)
	}

	var in tenant.CreateInput
	create := &cobra.Command{Use: "create", Short: "Create a tenant and its first administrator", Args: cobra.NoArgs}
	create.Flags().StringVar(&in.Code, "code", "", "short slug, "+tenant.CodeRules)
	create.Flags().StringVar(&in.Name, "name", "", "company name")
	create.Flags().StringVar(&in.Plan, "plan", "trial", "plan code (see `wuye tenants plans`)")
	create.Flags().StringVar(&in.Admin.Username, "admin-username", "admin", "first administrator's username")
	create.Flags().StringVar(&in.Admin.Name, "admin-name", "", "first administrator's name")
	create.Flags().StringVar(&in.Admin.Phone, "admin-phone", "", "first administrator's phone")
	create.Flags().StringVar(&in.Admin.Email, "admin-email", "", "first administrator's email")
	pwFile := create.Flags().String("admin-password-file", "", "read the administrator's password from this file (generated when absent)")
	create.RunE = run(func(ctx context.Context, s *tenant.Service, _ io.Writer) (any, func(io.Writer) error, error) {
		if *pwFile != "" {
			b, err := os.ReadFile(*pwFile)
			if err != nil {
				return nil, nil, err
			}
			in.Admin.Password = strings.TrimRight(string(b), "\r\n")
		}
		c, err := s.Create(ctx, in)
		return c, func(w io.Writer) error {
			printTenant(w, c.Tenant)
			return printPasswords(w, c.Passwords)
		}, err
	})

	var f tenant.ListFilter
	var page, size int
	list := &cobra.Command{Use: "list", Short: "List tenants", Args: cobra.NoArgs}
	list.Flags().StringVar(&f.Status, "status", "", "active, suspended or deleted")
	list.Flags().StringVar(&f.Plan, "plan", "", "plan code")
	list.Flags().StringVar(&f.Q, "q", "", "text in code or name")
	list.Flags().IntVar(&page, "page", 1, "page number")
	list.Flags().IntVar(&size, "page-size", 50, "tenants per page")
	list.RunE = run(func(ctx context.Context, s *tenant.Service, _ io.Writer) (any, func(io.Writer) error, error) {
		f.Limit, f.Offset, f.OrderBy = size, (max(page, 1)-1)*size, "code"
		items, total, err := s.List(ctx, f)
		v := map[string]any{"items": items, "total": total, "page": page, "page_size": size}
		return v, func(w io.Writer) error {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tNAME\tSTATUS\tPLAN\tCREATED\tID")
			for _, t := range items {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Code, t.Name, t.Status, t.PlanCode, t.CreatedAt.Format(time.DateOnly), t.ID)
			}
			fmt.Fprintf(tw, "(%d of %d)\n", len(items), total)
			return tw.Flush()
		}, err
	})

	show := &cobra.Command{Use: "show <code|id>", Short: "Show a tenant with its plan and usage", Args: cobra.ExactArgs(1)}
	show.RunE = func(c *cobra.Command, args []string) error {
		return run(func(ctx context.Context, s *tenant.Service, _ io.Writer) (any, func(io.Writer) error, error) {
			t, err := resolve(ctx, s, args[0])
			if err != nil {
				return nil, nil, err
			}
			o, err := s.Overview(ctx, t.ID)
			return o, func(w io.Writer) error { return printOverview(w, o) }, err
		})(c, args)
	}

	var reason string
	suspend := &cobra.Command{Use: "suspend <code|id>", Short: "Suspend a tenant: its users are refused until resumed", Args: cobra.ExactArgs(1)}
	suspend.Flags().StringVar(&reason, "reason", "", "why (shown to the operator, kept in the audit log)")
	suspend.RunE = change(run, resolve, func(ctx context.Context, s *tenant.Service, t tenant.Tenant, _ []string) (tenant.Tenant, error) {
		return s.Suspend(ctx, t.ID, reason)
	})
	resume := &cobra.Command{Use: "resume <code|id>", Short: "Resume a suspended tenant", Args: cobra.ExactArgs(1)}
	resume.RunE = change(run, resolve, func(ctx context.Context, s *tenant.Service, t tenant.Tenant, _ []string) (tenant.Tenant, error) {
		return s.Resume(ctx, t.ID)
	})
	setPlan := &cobra.Command{Use: "set-plan <code|id> <plan>", Short: "Move a tenant to another plan (refused below current usage)", Args: cobra.ExactArgs(2)}
	setPlan.RunE = change(run, resolve, func(ctx context.Context, s *tenant.Service, t tenant.Tenant, args []string) (tenant.Tenant, error) {
		return s.SetPlan(ctx, t.ID, args[1])
	})
	del := &cobra.Command{Use: "delete <code|id>", Short: "Close a tenant (soft delete: data kept, code reusable)", Args: cobra.ExactArgs(1)}
	del.RunE = change(run, resolve, func(ctx context.Context, s *tenant.Service, t tenant.Tenant, _ []string) (tenant.Tenant, error) {
		return s.Delete(ctx, t.ID)
	})

	var files []string
	apply := &cobra.Command{Use: "apply -f tenants/x.yaml", Short: "Create or update tenants from manifests (idempotent)", Args: cobra.NoArgs}
	apply.Flags().StringArrayVarP(&files, "file", "f", nil, "manifest file (repeatable)")
	_ = apply.MarkFlagRequired("file")
	apply.RunE = run(func(ctx context.Context, s *tenant.Service, _ io.Writer) (any, func(io.Writer) error, error) {
		var results []tenant.ApplyResult
		for _, f := range files {
			m, err := tenant.LoadManifest(f)
			if err != nil {
				return nil, nil, err
			}
			res, err := s.Apply(ctx, m)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f, err)
			}
			results = append(results, res)
		}
		return results, func(w io.Writer) error {
			for i, r := range results {
				fmt.Fprintf(w, "%s: tenant %s %s\n", files[i], r.Tenant.Code, r.Outcome)
				for _, c := range r.Changes {
					fmt.Fprintf(w, "  - %s\n", c)
				}
				for _, n := range r.Notes {
					fmt.Fprintf(w, "  note: %s\n", n)
				}
				if err := printPasswords(w, r.Passwords); err != nil {
					return err
				}
			}
			return nil
		}, nil
	})

	plans := &cobra.Command{Use: "plans", Short: "List plans and their quotas (0 = unlimited)", Args: cobra.NoArgs}
	plans.RunE = run(func(ctx context.Context, s *tenant.Service, _ io.Writer) (any, func(io.Writer) error, error) {
		ps, err := s.Plans(ctx)
		return ps, func(w io.Writer) error {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tNAME\tCOMMUNITIES\tROOMS\tUSERS\tPLUGINS")
			for _, p := range ps {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", p.Code, p.Name, p.MaxCommunities, p.MaxRooms, p.MaxUsers, p.MaxPlugins)
			}
			return tw.Flush()
		}, err
	})

	cmd.AddCommand(create, list, show, suspend, resume, setPlan, del, apply, plans)
	return cmd
}

type runner = func(fn func(ctx context.Context, s *tenant.Service, out io.Writer) (any, func(io.Writer) error, error)) func(*cobra.Command, []string) error

// change builds the RunE of a command that resolves <code|id> and changes it.
func change(run runner, resolve func(context.Context, *tenant.Service, string) (tenant.Tenant, error),
	fn func(ctx context.Context, s *tenant.Service, t tenant.Tenant, args []string) (tenant.Tenant, error)) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		return run(func(ctx context.Context, s *tenant.Service, _ io.Writer) (any, func(io.Writer) error, error) {
			t, err := resolve(ctx, s, args[0])
			if err != nil {
				return nil, nil, err
			}
			t, err = fn(ctx, s, t, args)
			return t, func(w io.Writer) error { printTenant(w, t); return nil }, err
		})(c, args)
	}
}

func printTenant(w io.Writer, t tenant.Tenant) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%s\ncode\t%s\nname\t%s\nstatus\t%s\nplan\t%s\n", t.ID, t.Code, t.Name, t.Status, t.PlanCode)
	if t.SuspendedReason != "" {
		fmt.Fprintf(tw, "suspended\t%s\n", t.SuspendedReason)
	}
	if t.DeletedAt != nil {
		fmt.Fprintf(tw, "deleted at\t%s\n", t.DeletedAt.Format(time.RFC3339))
	}
	for name, p := range t.Settings.Plugins {
		fmt.Fprintf(tw, "plugin\t%s (enabled: %v)\n", name, p.Enabled)
	}
	tw.Flush()
}

func printOverview(w io.Writer, o tenant.Overview) error {
	printTenant(w, o.Tenant)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tUSED\tLIMIT")
	for _, r := range tenant.Resources {
		used := "-"
		if n, ok := o.Usage[r]; ok {
			used = fmt.Sprint(n)
		}
		limit := fmt.Sprint(o.Plan.Limit(r))
		if limit == "0" {
			limit = "unlimited"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r, used, limit)
	}
	return tw.Flush()
}

func printPasswords(w io.Writer, pw []tenant.GeneratedPassword) error {
	if len(pw) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nGenerated passwords (shown once; hand them over securely):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range pw {
		fmt.Fprintf(tw, "  %s\t%s\n", p.Username, p.Password)
	}
	return tw.Flush()
}

// cliError spells out an apperr's field errors, which the API sends as details.
func cliError(err error) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	msg := e.Code + ": " + e.EN
	if fe, ok := e.Details.([]apperr.FieldError); ok {
		for _, f := range fe {
			msg += "\n  " + strings.TrimPrefix(f.Field+": ", ": ") + f.EN
		}
	} else if e.Details != nil {
		b, _ := json.Marshal(e.Details)
		msg += "\n  " + string(b)
	}
	return fmt.Errorf("%s", msg)
}
