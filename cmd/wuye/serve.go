package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wuye-project/wuye/core/app"
)

func serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the API, workers and scheduler (embedded SQLite + in-process queue unless configured)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			a, err := app.New(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			first, err := a.Bootstrap(ctx)
			if err != nil {
				return err
			}
			if err := a.Start(ctx); err != nil {
				return err
			}
			if err := a.Listen(); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Wuye is serving on http://%s  (database: %s, queue: %s, data: %s)\n", a.Addr(), a.DB.Dialect(), queueKind(a), cfg.DataDir)
			fmt.Fprintf(out, "  API docs: http://%s/api/docs\n", a.Addr())
			if first.OperatorPasswordFile != "" {
				fmt.Fprintf(out, "  First operator created; its password is in %s\n", first.OperatorPasswordFile)
			}
			if first.DemoTenant != "" {
				fmt.Fprintf(out, "  Demo tenant %q seeded; its users' passwords are in %s\n", first.DemoTenant, first.DemoPasswordFile)
			}
			return a.Serve(ctx)
		},
	}
}

func queueKind(a *app.App) string {
	if a.Queue.Embedded() {
		return "in-process"
	}
	return "redis"
}
