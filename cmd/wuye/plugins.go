package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
)

// openPlugins builds the app (as serve does, without starting it) for its catalogue.
func openPlugins(ctx context.Context) (*catalogue.Catalogue, func(), error) {
	cfg, err := app.LoadConfig()
	if err != nil {
		return nil, nil, err
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return a.Plugins, func() { a.Close() }, nil
}

func pluginsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{Use: "plugins", Short: "The plugin catalogue: register plugin binaries, list and retire versions"}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	printJSON := func(c *cobra.Command, v any) error {
		enc := json.NewEncoder(c.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}

	var replace bool
	var sha string
	register := &cobra.Command{Use: "register PATH...", Short: "Register plugin binaries (a folder registers every binary in it and its drivers/)", Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cat, closeDB, err := openPlugins(c.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			ctx := cliActor(c.Context())
			var out []catalogue.ScanResult
			for _, p := range args {
				if st, err := statDir(p); err == nil && st {
					rs, err := cat.RegisterDir(ctx, p)
					if err != nil {
						return err
					}
					out = append(out, rs...)
					continue
				}
				res, err := cat.Register(ctx, catalogue.RegisterInput{Path: p, SHA256: sha, Replace: replace})
				if err != nil {
					return cliError(err)
				}
				out = append(out, catalogue.ScanResult{Path: p, Outcome: res.Outcome, Name: res.Version.Name, Version: res.Version.Version})
			}
			if asJSON {
				return printJSON(c, out)
			}
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PATH\tNAME\tVERSION\tOUTCOME")
			for _, r := range out {
				outcome := r.Outcome
				if r.Error != "" {
					outcome = "error: " + r.Error
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Path, r.Name, r.Version, outcome)
			}
			return w.Flush()
		}}
	register.Flags().BoolVar(&replace, "replace", false, "overwrite a registration of the same name and version whose binary differs")
	register.Flags().StringVar(&sha, "sha256", "", "the binary's expected SHA-256 (refused when the file differs)")

	var retired bool
	list := &cobra.Command{Use: "list [NAME]", Short: "List registered plugin versions, newest first", Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cat, closeDB, err := openPlugins(c.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			f := catalogue.ListFilter{Retired: retired}
			if len(args) == 1 {
				f.Name = args[0]
			}
			vs, err := cat.List(c.Context(), f)
			if err != nil {
				return cliError(err)
			}
			if asJSON {
				return printJSON(c, vs)
			}
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tVERSION\tKIND\tAPI\tSHA256\tRETIRED\tPATH")
			for _, v := range vs {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%.12s…\t%v\t%s\n", v.Name, v.Version, v.Kind, v.APIVersion, v.SHA256, v.Retired, v.Path)
			}
			return w.Flush()
		}}
	list.Flags().BoolVar(&retired, "retired", false, "include retired versions")

	retire := &cobra.Command{Use: "retire NAME VERSION", Short: "Retire a version (refused while a tenant has it enabled)", Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			cat, closeDB, err := openPlugins(c.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			v, err := cat.Retire(cliActor(c.Context()), args[0], args[1])
			if err != nil {
				return cliError(err)
			}
			if asJSON {
				return printJSON(c, v)
			}
			fmt.Fprintf(c.OutOrStdout(), "%s %s retired\n", v.Name, v.Version)
			return nil
		}}
	cmd.AddCommand(register, list, retire)
	return cmd
}

func statDir(p string) (bool, error) {
	st, err := os.Stat(p)
	if err != nil {
		return false, err
	}
	return st.IsDir(), nil
}
