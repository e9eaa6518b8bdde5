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
			a, err := app.New(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Listen(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wuye is serving on http://%s (database: %s, data: %s)\n", a.Addr(), a.DB.Dialect(), cfg.DataDir)
			return a.Serve(cmd.Context())
		},
	}
}
