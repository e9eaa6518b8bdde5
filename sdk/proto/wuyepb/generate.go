// Package wuyepb is the Go code generated from ../plugin.proto: the messages
// and the gRPC clients and servers of the Plugin and Host services.
//
// Regenerate with `make proto` (needs protoc, protoc-gen-go and
// protoc-gen-go-grpc on PATH: Debian's protobuf-compiler, and
// `go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
// google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2`).
package wuyepb

//go:generate protoc -I .. --go_out=../.. --go_opt=module=github.com/wuye-project/wuye/sdk --go-grpc_out=../.. --go-grpc_opt=module=github.com/wuye-project/wuye/sdk ../plugin.proto
