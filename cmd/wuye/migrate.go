package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/store"
)

func migrateCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Apply or list database migrations"}
	cmd.AddCommand(&cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			done, err := store.Migrate(cmd.Context(), cfg.StoreConfig())
			for _, m := range done {
				fmt.Fprintf(cmd.OutOrStdout(), "applied %05d_%s\n", m.Version, m.Name)
			}
			if err == nil && len(done) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "up to date")
			}
			return err
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "List migrations and when each was applied",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			all, err := store.MigrationStatus(cmd.Context(), cfg.StoreConfig())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "VERSION\tNAME\tAPPLIED")
			for _, m := range all {
				at := "pending"
				if m.AppliedAt != nil {
					at = m.AppliedAt.Format("2006-01-02 15:04:05Z07:00")
				}
				fmt.Fprintf(w, "%05d\t%s\t%s\n", m.Version, m.Name, at)
			}
			return w.Flush()
		},
	})
	return cmd
}
