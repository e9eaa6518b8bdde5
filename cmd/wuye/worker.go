package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wuye-project/wuye/core/app"
)

func workerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run only the task queue (relay, workers, scheduler) to add capacity beside serve; needs Redis",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			if cfg.RedisAddr == "" {
				// The embedded queue lives inside one serve process; a second
				// process would have an empty queue of its own.
				return errors.New("worker needs a shared Redis: set WUYE_REDIS_ADDR (the embedded queue runs inside serve)")
			}
			ctx := cmd.Context()
			a, err := app.New(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Start(ctx); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wuye worker running (database: %s, redis: %s)\n", a.DB.Dialect(), cfg.RedisAddr)
			<-ctx.Done()
			return nil
		},
	}
}
