// Package ip answers questions about addresses (kong.ip).
package ip

import (
	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Ip is kong.ip; one per PDK.
type Ip struct {
	bridge.PdkBridge
}

// IsTrusted tells whether address is a trusted proxy per the gateway's configuration
// (one round trip).
func (ip Ip) IsTrusted(address string) (bool, error) {
	return rt.EventOf(ip.PdkBridge).IsTrusted(address)
}
