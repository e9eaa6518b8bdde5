// Command wuye is the one binary of the platform: the API server and workers
// (serve), migrations, and the operator's tenant commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "wuye:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "wuye",
		Short:         "Wuye (物业) — multi-tenant property-management platform",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), workerCmd(), migrateCmd())
	root.AddCommand(tenantsCmd(), pluginsCmd(), openapiCmd())
	return root
}
