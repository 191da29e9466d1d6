// Package pdk is the Plugin Development Kit a Go plugin receives in each phase handler
// (Access(kong *pdk.PDK), ...). It has go-pdk's shape, so a Kong Go plugin ports by changing
// its import path. Unlike go-pdk, the gateway sends a snapshot of the request with each phase:
// getters answer locally, setters are collected and sent with the phase result, and only data
// outside the snapshot (bodies not declared, full route/service entities, consumer and
// credential lookups, node id, trusted-ip checks) costs a round trip.
package pdk

import (
	"context"
	"net"

	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	"github.com/gantry-gateway/gantry/plugin-server-go/client"
	"github.com/gantry-gateway/gantry/plugin-server-go/ctx"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
	"github.com/gantry-gateway/gantry/plugin-server-go/ip"
	"github.com/gantry-gateway/gantry/plugin-server-go/log"
	"github.com/gantry-gateway/gantry/plugin-server-go/nginx"
	"github.com/gantry-gateway/gantry/plugin-server-go/node"
	"github.com/gantry-gateway/gantry/plugin-server-go/request"
	"github.com/gantry-gateway/gantry/plugin-server-go/response"
	"github.com/gantry-gateway/gantry/plugin-server-go/router"
	"github.com/gantry-gateway/gantry/plugin-server-go/service"
	service_request "github.com/gantry-gateway/gantry/plugin-server-go/service/request"
	service_response "github.com/gantry-gateway/gantry/plugin-server-go/service/response"
)

// PDK is what a phase handler receives: one per phase call, valid only during the handler.
type PDK struct {
	Client          client.Client
	Ctx             ctx.Ctx
	Log             log.Log
	Nginx           nginx.Nginx
	Request         request.Request
	Response        response.Response
	Router          router.Router
	IP              ip.Ip
	Node            node.Node
	Service         service.Service
	ServiceRequest  service_request.Request
	ServiceResponse service_response.Response
}

// Errors a PDK call can return (Gantry extension; compare with errors.Is).
var (
	// ErrExited: the handler already called Response.Exit or ExitStatus.
	ErrExited = rt.ErrExited
	// ErrCancelled: the gateway stopped waiting for this phase (timeout or client gone).
	ErrCancelled = rt.ErrCancelled
)

// Init builds a PDK over a go-pdk bridge connection (used by go-pdk style tests with
// bridgetest). Only bridge.PdkBridge.Ask and friends work over such a PDK; the typed methods
// need a phase event and return an error.
func Init(conn net.Conn) *PDK {
	return fill(&PDK{}, bridge.New(conn))
}

// fill places one bridge in every module. Each module struct has exactly one field, the
// embedded PdkBridge, so go-pdk's unkeyed literals (client.Client{b}) compile too.
func fill(p *PDK, b bridge.PdkBridge) *PDK {
	p.Client = client.Client{PdkBridge: b}
	p.Ctx = ctx.Ctx{PdkBridge: b}
	p.Log = log.Log{PdkBridge: b}
	p.Nginx = nginx.Nginx{PdkBridge: b}
	p.Request = request.Request{PdkBridge: b}
	p.Response = response.Response{PdkBridge: b}
	p.Router = router.Router{PdkBridge: b}
	p.IP = ip.Ip{PdkBridge: b}
	p.Node = node.Node{PdkBridge: b}
	p.Service = service.Service{PdkBridge: b}
	p.ServiceRequest = service_request.Request{PdkBridge: b}
	p.ServiceResponse = service_response.Response{PdkBridge: b}
	return p
}

// Context returns the phase call's context (Gantry extension). It is cancelled when the gateway
// stops waiting for the phase (timeout or client gone), so handlers can pass it to their own
// I/O; a PDK fetch in flight then returns ErrCancelled.
func (kong *PDK) Context() context.Context {
	if e := rt.EventOf(kong.Request.PdkBridge); e != nil {
		return e.Context()
	}
	return context.Background()
}

// FillForEvent points every module of p at a phase event. For the SDK's server and test
// packages only (the event type is internal).
func FillForEvent(p *PDK, ev *rt.Event) { fill(p, rt.EventBridge(ev)) }
