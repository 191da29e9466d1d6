# Builds the go-hello plugin server that examples/gantry.yaml declares (plugin_servers: go-hello,
# command examples/go-hello/go-hello); gantry starts and supervises it.
if ! command -v go >/dev/null 2>&1; then
  echo "demo: 'go' not found; install Go to build examples/go-hello (needed by $config)" >&2
  exit 1
fi
echo "demo: building examples/go-hello/go-hello"
(cd "$root/examples/go-hello" && go build -o go-hello .)
demo_hint "curl -i http://127.0.0.1:8000/hello      # x-hello-from-go: added by the Go plugin"
