// Package ctx is kong.ctx.shared: values shared by all plugins of one request, across phases.
// Values travel as JSON, so they read back JSON-like (numbers as float64, objects as
// map[string]interface{}), the way go-pdk read values set by Lua plugins.
package ctx

import (
	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Ctx is kong.ctx; one per PDK.
type Ctx struct {
	bridge.PdkBridge
}

func (c Ctx) ev() *rt.Event { return rt.EventOf(c.PdkBridge) }

// SetShared sets a value in the request's shared context (a nil value deletes it). It must be
// JSON-encodable.
func (c Ctx) SetShared(k string, value interface{}) error { return c.ev().SharedSet(k, value) }

// GetSharedAny returns a shared value, or nil if unset.
func (c Ctx) GetSharedAny(k string) (interface{}, error) { return c.ev().SharedGet(k) }

// GetSharedString returns a shared string; "expected type: string" if the value is another type.
func (c Ctx) GetSharedString(k string) (string, error) {
	v, err := c.GetSharedAny(k)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", bridge.ReturnTypeError("string")
	}
	return s, nil
}

// GetSharedFloat returns a shared number; "expected type: number" if the value is another type.
func (c Ctx) GetSharedFloat(k string) (float64, error) {
	v, err := c.GetSharedAny(k)
	if err != nil {
		return 0, err
	}
	f, ok := v.(float64)
	if !ok {
		return 0, bridge.ReturnTypeError("number")
	}
	return f, nil
}
