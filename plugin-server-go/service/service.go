// Package service chooses where the request goes upstream (kong.service). Calls are sent with
// the phase result.
package service

import (
	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Service is kong.service; one per PDK.
type Service struct {
	bridge.PdkBridge
}

// SetUpstream sends the request to a configured upstream by name.
func (s Service) SetUpstream(host string) error { return rt.EventOf(s.PdkBridge).SetUpstream(host) }

// SetTarget sends the request to host:port.
func (s Service) SetTarget(host string, port int) error {
	return rt.EventOf(s.PdkBridge).SetTarget(host, port)
}
