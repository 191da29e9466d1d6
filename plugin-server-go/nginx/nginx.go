// Package nginx is kong.nginx: request-scoped values that in Kong came from nginx. Gantry has no
// nginx; GetVar answers the common variables from the snapshot, and the ctx functions keep
// values for the whole request (stored in ctx.shared under the "gantry.ngx_ctx." prefix).
package nginx

import (
	"strconv"
	"strings"

	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Nginx is kong.nginx; one per PDK.
type Nginx struct {
	bridge.PdkBridge
}

func (n Nginx) ev() *rt.Event { return rt.EventOf(n.PdkBridge) }

// GetVar returns an nginx variable ("" for unknown ones): request_method, request_uri, uri,
// args, scheme, host, server_port, remote_addr, remote_port, request_id, http_<header>.
func (n Nginx) GetVar(k string) (string, error) {
	e := n.ev()
	s := func(what string) (string, error) { return e.ReqString(what) }
	switch k {
	case "request_method":
		return s("method")
	case "request_uri":
		return s("path_with_query")
	case "uri":
		return s("path")
	case "args", "query_string":
		return s("raw_query")
	case "scheme":
		return s("scheme")
	case "host":
		return s("host")
	case "request_id":
		return s("request_id")
	case "server_port":
		p, err := e.ReqPort()
		return strconv.Itoa(p), err
	case "remote_addr":
		return e.ClientString("ip", false)
	case "remote_port":
		p, err := e.ClientPort()
		return strconv.Itoa(p), err
	}
	if strings.HasPrefix(k, "http_") {
		return e.ReqHeader(strings.ReplaceAll(k[5:], "_", "-"))
	}
	_, err := s("method")
	return "", err
}

// GetTLS1VersionStr returns the TLS version of the client connection ("" when plain HTTP).
func (n Nginx) GetTLS1VersionStr() (string, error) {
	_, err := n.ev().ReqString("scheme")
	return "", err
}

// SetCtx sets a request-scoped value (JSON-encodable).
func (n Nginx) SetCtx(k string, v interface{}) error { return n.ev().NginxCtxSet(k, v) }

// GetCtxAny returns a request-scoped value, nil if unset.
func (n Nginx) GetCtxAny(k string) (interface{}, error) { return n.ev().NginxCtxGet(k) }

// GetCtxString returns a request-scoped string ("" if unset or another type).
func (n Nginx) GetCtxString(k string) (string, error) {
	v, err := n.GetCtxAny(k)
	s, _ := v.(string)
	return s, err
}

// GetCtxFloat returns a request-scoped number (0 if unset or another type).
func (n Nginx) GetCtxFloat(k string) (float64, error) {
	v, err := n.GetCtxAny(k)
	f, _ := v.(float64)
	return f, err
}

// GetCtxInt returns a request-scoped number as an int (0 if unset or another type).
func (n Nginx) GetCtxInt(k string) (int, error) {
	f, err := n.GetCtxFloat(k)
	return int(f), err
}

// ReqStartTime returns when the request started, in seconds since the epoch.
func (n Nginx) ReqStartTime() (float64, error) { return n.ev().StartTime() }

// GetSubsystem returns "http".
func (n Nginx) GetSubsystem() (string, error) {
	_, err := n.ev().ReqString("scheme")
	return "http", err
}
