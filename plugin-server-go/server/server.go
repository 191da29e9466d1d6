// Package server runs Go plugins as a Gantry plugin server: a long-lived process serving the
// gateway.plugin.v1 gRPC protocol (handshake, instances, a batched event stream, health,
// shutdown). main calls StartServer exactly as with go-pdk:
//
//	func main() { server.StartServer(New, Version, Priority) }
//
// Command line (go-pdk's flags, plus -listen):
//
//	-dump              print the plugin info JSON and exit
//	-kong-prefix DIR   listen on DIR/<name>.socket (default /usr/local/kong)
//	-listen ADDR       listen on "unix:/path" or "host:port" (sidecar use)
//	-help              usage
//
// When the gateway starts the server it sets GANTRY_PLUGIN_SOCKET; the server listens there and,
// once it accepts connections, prints "GANTRY_PLUGIN_READY|1|unix|<path>" on stdout.
package server

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Environment variables set by the gateway when it starts the server.
const (
	EnvSocket     = "GANTRY_PLUGIN_SOCKET"
	EnvVersions   = "GANTRY_PLUGIN_PROTOCOL_VERSIONS"
	EnvServerName = "GANTRY_PLUGIN_SERVER_NAME"
)

// sigtermGrace is how long SIGTERM lets work in flight finish.
const sigtermGrace = 5 * time.Second

var (
	regMu      sync.Mutex
	registered []*plugin
)

// StartServer serves one plugin named after the executable (go-pdk's contract). constructor
// returns a fresh config value (e.g. &Config{}); its phase methods (Rewrite, Access, Response,
// Log; Certificate and Preread are listed by -dump but never called) are the handlers.
// It returns after -dump, or when the server stops (Shutdown RPC or SIGTERM/SIGINT).
func StartServer(constructor func() interface{}, version string, priority int) error {
	name, err := getName()
	if err != nil {
		return err
	}
	if err := Register(name, constructor, version, priority); err != nil {
		return err
	}
	return StartServerMulti()
}

// Register adds a plugin to this server binary (Gantry extension), so several plugins share one
// process, one socket and one event stream. Call it before StartServerMulti, typically from main.
func Register(name string, constructor func() interface{}, version string, priority int) error {
	p, err := newPlugin(name, constructor, version, priority)
	if err != nil {
		return fmt.Errorf("plugin %q: %w", name, err)
	}
	regMu.Lock()
	defer regMu.Unlock()
	for _, q := range registered {
		if q.name == name {
			return fmt.Errorf("plugin %q registered twice", name)
		}
	}
	registered = append(registered, p)
	return nil
}

// StartServerMulti serves every registered plugin (Gantry extension); same flags and behaviour
// as StartServer. The server's name is the executable's basename.
func StartServerMulti() error {
	regMu.Lock()
	plugins := append([]*plugin(nil), registered...)
	regMu.Unlock()
	if len(plugins) == 0 {
		return errors.New("no plugin registered")
	}
	exe, err := getName()
	if err != nil {
		return err
	}

	fs := flag.CommandLine
	prefix := defineString(fs, "kong-prefix", "/usr/local/kong", "Kong prefix path: listen on <prefix>/<name>.socket")
	dump := defineBool(fs, "dump", false, "Dump plugin info as JSON and exit")
	help := defineBool(fs, "help", false, "Show usage and exit")
	listen := defineString(fs, "listen", "", `Listen address: "unix:/path" or "host:port" (Gantry sidecar mode)`)
	if !fs.Parsed() {
		_ = fs.Parse(os.Args[1:])
	}
	if *help {
		fs.Usage()
		os.Exit(2)
	}
	if *dump {
		out, err := dumpInfo(plugins, socketPath(*prefix, exe))
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(append(out, '\n'))
		return err
	}

	if v := os.Getenv(EnvVersions); v != "" && !offers(v, ProtocolVersion) {
		return fmt.Errorf("the gateway speaks protocol versions %q; this server speaks %d", v, ProtocolVersion)
	}
	network, addr := "unix", socketPath(*prefix, exe)
	if *listen != "" {
		network, addr = parseListen(*listen)
	} else if s := os.Getenv(EnvSocket); s != "" {
		addr = s
	}
	name := exe
	if n := os.Getenv(EnvServerName); n != "" {
		name = n
	}
	srv := newServer(name, plugins)
	return srv.listenAndServe(network, addr, true)
}

func defineString(fs *flag.FlagSet, name, def, usage string) *string {
	if f := fs.Lookup(name); f != nil {
		s := f.Value.String()
		return &s
	}
	return fs.String(name, def, usage)
}

func defineBool(fs *flag.FlagSet, name string, def bool, usage string) *bool {
	if f := fs.Lookup(name); f != nil {
		b := f.Value.String() == "true"
		return &b
	}
	return fs.Bool(name, def, usage)
}

func offers(list string, v int) bool {
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == fmt.Sprint(v) {
			return true
		}
	}
	return false
}

func parseListen(s string) (network, addr string) {
	if strings.HasPrefix(s, "unix:") {
		return "unix", strings.TrimPrefix(s, "unix:")
	}
	return "tcp", s
}

func getName() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.Base(exe), nil
}

func socketPath(prefix, name string) string { return filepath.Join(prefix, name+".socket") }

// listen opens the listener (unlinking a stale unix socket first).
func listen(network, addr string) (net.Listener, error) {
	if network == "unix" {
		if err := os.Remove(addr); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	lis, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	if ul, ok := lis.(*net.UnixListener); ok {
		// The socket file is removed at exit by removeOwnSocket, only if it is still ours: a
		// replacement server (a sidecar's rolling restart) may have bound the same path by then.
		ul.SetUnlinkOnClose(false)
	}
	return lis, nil
}

// removeOwnSocket removes the unix socket file at addr if it is the one `own` describes (the
// file this server bound), and leaves a newer server's socket alone.
func removeOwnSocket(addr string, own os.FileInfo) {
	if own == nil {
		return
	}
	if cur, err := os.Stat(addr); err == nil && os.SameFile(cur, own) {
		os.Remove(addr)
	}
}

// ReadyLine is the line printed on stdout once the server accepts connections.
func ReadyLine(network, addr string) string {
	return fmt.Sprintf("GANTRY_PLUGIN_READY|%d|%s|%s", ProtocolVersion, network, addr)
}

// listenAndServe listens, prints the READY line, serves until stopped; SIGTERM/SIGINT stop it
// gracefully.
func (s *Server) listenAndServe(network, addr string, handleSignals bool) error {
	lis, err := listen(network, addr)
	if err != nil {
		return err
	}
	if network == "tcp" {
		addr = lis.Addr().String()
	}
	logf("[%s] listening on %s:%s", s.name, network, addr)
	setBallast()
	stopProcs := startProcs()
	defer stopProcs()
	stopProfile := startCPUProfile()
	defer stopProfile()
	fmt.Fprintln(os.Stdout, ReadyLine(network, addr))
	if handleSignals {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		defer signal.Stop(sigs)
		go func() {
			select {
			case sig := <-sigs:
				logf("[%s] %v: stopping", s.name, sig)
				s.stop(sigtermGrace)
			case <-s.done:
			}
		}()
	}
	if network == "unix" {
		own, _ := os.Stat(addr)
		defer removeOwnSocket(addr, own)
	}
	// Serve returns nil once Stop/GracefulStop was called (Shutdown RPC or signal).
	if err := s.grpc.Serve(wrapListener(lis)); err != nil {
		return err
	}
	<-s.done
	return nil
}
