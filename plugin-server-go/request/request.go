// Package request reads the downstream request: the request as the client sent it
// (kong.request), plus the header/method/query changes earlier plugins made through
// service/request. Everything is answered from the phase snapshot without a round trip, except
// GetRawBody when the body is not in the snapshot and GetUriCaptures (one fetch each, cached).
package request

import (
	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Request is kong.request; one per PDK.
type Request struct {
	bridge.PdkBridge
}

func (r Request) ev() *rt.Event { return rt.EventOf(r.PdkBridge) }

// GetScheme returns "http" or "https".
func (r Request) GetScheme() (string, error) { return r.ev().ReqString("scheme") }

// GetHost returns the host (lower-case, no port).
func (r Request) GetHost() (string, error) { return r.ev().ReqString("host") }

// GetPort returns the port the client connected to.
func (r Request) GetPort() (int, error) { return r.ev().ReqPort() }

// GetForwardedScheme returns the scheme, honouring X-Forwarded-Proto from trusted proxies.
func (r Request) GetForwardedScheme() (string, error) { return r.ev().ReqString("forwarded_scheme") }

// GetForwardedHost returns the host, honouring X-Forwarded-Host from trusted proxies.
func (r Request) GetForwardedHost() (string, error) { return r.ev().ReqString("forwarded_host") }

// GetForwardedPort returns the port (the snapshot carries no separate forwarded port).
func (r Request) GetForwardedPort() (int, error) { return r.ev().ReqPort() }

// GetHttpVersion returns 1.0 or 1.1.
func (r Request) GetHttpVersion() (float64, error) { return r.ev().ReqHttpVersion() }

// GetMethod returns the method (as changed by ServiceRequest.SetMethod, as in Kong).
func (r Request) GetMethod() (string, error) { return r.ev().ReqString("method") }

// GetPath returns the path as received (not decoded, no query).
func (r Request) GetPath() (string, error) { return r.ev().ReqString("path") }

// GetPathWithQuery returns the path and, if not empty, "?" and the query.
func (r Request) GetPathWithQuery() (string, error) { return r.ev().ReqString("path_with_query") }

// GetRawQuery returns the query string without '?'.
func (r Request) GetRawQuery() (string, error) { return r.ev().ReqString("raw_query") }

// GetQueryArg returns the first value of a query argument ("" if missing).
func (r Request) GetQueryArg(k string) (string, error) { return r.ev().ReqQueryArg(k) }

// GetQuery returns the query arguments (at most max_args; -1 means 100).
func (r Request) GetQuery(max_args int) (map[string][]string, error) {
	return r.ev().ReqQuery(max_args)
}

// GetHeader returns the first value of a header ("", nil if missing). Names are
// case-insensitive.
func (r Request) GetHeader(k string) (string, error) { return r.ev().ReqHeader(k) }

// GetHeaders returns the headers with lower-cased names (at most max_headers; -1 means 100).
func (r Request) GetHeaders(max_headers int) (map[string][]string, error) {
	return r.ev().ReqHeaders(max_headers)
}

// GetRawBody returns the request body: from the snapshot when the plugin declared it needs it
// in this phase, else fetched once from the gateway.
func (r Request) GetRawBody() ([]byte, error) { return r.ev().ReqRawBody() }

// GetUriCaptures returns the captures of a regex route path (one round trip).
func (r Request) GetUriCaptures() ([][]byte, map[string][]byte, error) {
	return r.ev().ReqUriCaptures()
}

// GetRequestId returns the gateway's request id (Gantry extension).
func (r Request) GetRequestId() (string, error) { return r.ev().ReqString("request_id") }
