package rt

import (
	"encoding/json"
	"sync/atomic"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

var nodeID atomic.Value

// ResetNodeIDForTest forgets the cached node id.
func ResetNodeIDForTest() { nodeID = atomic.Value{} }

// kong.ctx.shared: values travel as JSON text, so they read back JSON-like (numbers as float64),
// as go-pdk values set by Lua plugins did.

// SharedGet is kong.ctx.shared.get: (nil, nil) when missing.
func (e *Event) SharedGet(k string) (interface{}, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	s, ok := e.call.Shared[k]
	if !ok || s == "" {
		return nil, nil
	}
	var v interface{}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	return v, nil
}

// SharedSet is kong.ctx.shared.set; a nil value deletes the key.
func (e *Event) SharedSet(k string, v interface{}) error {
	if err := e.check(); err != nil {
		return err
	}
	text := ""
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		text = string(b)
	}
	if e.call.Shared == nil {
		e.call.Shared = map[string]string{}
	}
	if text == "" {
		delete(e.call.Shared, k)
	} else {
		e.call.Shared[k] = text
	}
	e.push(&pb.Mutation{Op: &pb.Mutation_Shared{Shared: &pb.SharedSet{Key: k, JsonValue: text}}})
	return nil
}

// NginxCtxPrefix: kong.nginx.set_ctx/get_ctx values live in ctx.shared under this prefix, so
// they last for the whole request like ngx.ctx does.
const NginxCtxPrefix = "gantry.ngx_ctx."

// NginxCtxGet is kong.nginx.get_ctx. KONG_*_START / KONG_*_TIME style keys are not kept.
func (e *Event) NginxCtxGet(k string) (interface{}, error) {
	return e.SharedGet(NginxCtxPrefix + k)
}

// NginxCtxSet is kong.nginx.set_ctx.
func (e *Event) NginxCtxSet(k string, v interface{}) error {
	return e.SharedSet(NginxCtxPrefix+k, v)
}
