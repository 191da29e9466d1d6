// Package log writes to the gateway's error log, prefixed with the plugin name (kong.log).
// Lines are sent with the phase result (no round trip); the arguments are concatenated like
// Lua's kong.log does (no separator, values tostring'd).
package log

import (
	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Log is kong.log; one per PDK.
type Log struct {
	bridge.PdkBridge
}

func (r Log) log(l pb.LogLevel, args []interface{}) error {
	return rt.EventOf(r.PdkBridge).Log(l, args)
}

// Alert logs at alert level.
func (r Log) Alert(args ...interface{}) error { return r.log(pb.LogLevel_LOG_LEVEL_ALERT, args) }

// Crit logs at crit level.
func (r Log) Crit(args ...interface{}) error { return r.log(pb.LogLevel_LOG_LEVEL_CRIT, args) }

// Err logs at error level.
func (r Log) Err(args ...interface{}) error { return r.log(pb.LogLevel_LOG_LEVEL_ERR, args) }

// Warn logs at warn level.
func (r Log) Warn(args ...interface{}) error { return r.log(pb.LogLevel_LOG_LEVEL_WARN, args) }

// Notice logs at notice level.
func (r Log) Notice(args ...interface{}) error { return r.log(pb.LogLevel_LOG_LEVEL_NOTICE, args) }

// Info logs at info level.
func (r Log) Info(args ...interface{}) error { return r.log(pb.LogLevel_LOG_LEVEL_INFO, args) }

// Debug logs at debug level.
func (r Log) Debug(args ...interface{}) error { return r.log(pb.LogLevel_LOG_LEVEL_DEBUG, args) }

// Serialize returns Kong's log serializer JSON for the request (request, response, latencies,
// route and service ids, consumer, client_ip, started_at, upstream_uri), built locally from the
// log-phase snapshot.
func (r Log) Serialize() (string, error) { return rt.EventOf(r.PdkBridge).Serialize() }
