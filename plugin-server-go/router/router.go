// Package router returns the route and service the request matched (kong.router). Their ids are
// in the snapshot; the full entities cost one round trip each (cached per phase call).
package router

import (
	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	"github.com/gantry-gateway/gantry/plugin-server-go/entities"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/conv"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Router is kong.router; one per PDK.
type Router struct {
	bridge.PdkBridge
}

// GetRoute returns the matched route.
func (r Router) GetRoute() (entities.Route, error) {
	rt, err := rt.EventOf(r.PdkBridge).Route()
	return conv.Route(rt), err
}

// GetService returns the matched service.
func (r Router) GetService() (entities.Service, error) {
	s, err := rt.EventOf(r.PdkBridge).Service()
	return conv.Service(s), err
}

// GetRouteId returns the matched route's id without a round trip (Gantry extension).
func (r Router) GetRouteId() (string, error) { return rt.EventOf(r.PdkBridge).Ids(true) }

// GetServiceId returns the matched service's id without a round trip (Gantry extension).
func (r Router) GetServiceId() (string, error) { return rt.EventOf(r.PdkBridge).Ids(false) }
