package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/wuye-project/wuye/core/app"
)

// openapiCmd prints the API's OpenAPI document without serving: the web
// console generates its TypeScript types from it (core/web/openapi.json).
func openapiCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Print the OpenAPI document of the route table (no server, a throwaway SQLite)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := app.OpenAPIJSON(cmd.Context())
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			return os.WriteFile(out, b, 0o644)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of standard output")
	return cmd
}
