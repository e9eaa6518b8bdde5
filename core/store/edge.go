package store

import "context"

// Methods through which the HTTP layer uses the request transaction without
// importing this package (httpapi.TxOpener): they are the package functions
// of the same names.

// InRequestTx reports whether ctx carries a request transaction.
func (*DB) InRequestTx(ctx context.Context) bool { return InRequestTx(ctx) }

// Detach returns ctx without its request transaction.
func (*DB) Detach(ctx context.Context) context.Context { return Detach(ctx) }

// ReadMostly marks ctx as a GET's; see the package function.
func (*DB) ReadMostly(ctx context.Context) context.Context { return ReadMostly(ctx) }
