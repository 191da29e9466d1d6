#!/bin/sh
# Regenerates internal/pluginpb from proto/gateway/plugin/v1 (the generated files are committed,
# so building the SDK never needs protoc). Needs protoc, protoc-gen-go and protoc-gen-go-grpc:
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@latest
#   go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@latest
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PATH="$PATH:$(go env GOPATH)/bin"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protoc -I "$root/proto" \
  --go_out="$out" --go_opt=paths=source_relative \
  --go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
  "$root"/proto/gateway/plugin/v1/*.proto
rm -f "$here"/internal/pluginpb/*.pb.go
cp "$out"/gateway/plugin/v1/*.pb.go "$here/internal/pluginpb/"
