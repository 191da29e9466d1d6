// Package client reads and sets facts about the downstream client: its address, and the
// consumer/credential it authenticated as (kong.client). Getters answer from the phase snapshot;
// LoadConsumer and FindCredential cost one fetch round trip; Authenticate is a mutation.
package client

import (
	"encoding/json"

	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	"github.com/gantry-gateway/gantry/plugin-server-go/entities"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/conv"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Client is kong.client; one per PDK.
type Client struct {
	bridge.PdkBridge
}

// AuthenticatedCredential is the credential a request authenticated with.
type AuthenticatedCredential struct {
	Id         string `json:"id"`
	ConsumerId string `json:"consumer_id"`
}

// CredentialMatch is what FindCredential found (Gantry extension).
type CredentialMatch struct {
	Credential AuthenticatedCredential
	Consumer   entities.Consumer
	// The credential's other fields.
	Fields map[string]interface{}
}

func (c Client) ev() *rt.Event { return rt.EventOf(c.PdkBridge) }

// GetIp returns the remote address of the client making the request.
func (c Client) GetIp() (string, error) { return c.ev().ClientString("ip", false) }

// GetForwardedIp returns the client address as forwarded by trusted proxies (the gateway has
// already resolved it; equal to GetIp otherwise).
func (c Client) GetForwardedIp() (string, error) { return c.ev().ClientString("forwarded_ip", false) }

// GetPort returns the client's port.
func (c Client) GetPort() (int, error) { return c.ev().ClientPort() }

// GetForwardedPort returns the client's forwarded port (equal to GetPort).
func (c Client) GetForwardedPort() (int, error) { return c.ev().ClientPort() }

// GetCredential returns the authenticated credential (zero value if none).
func (c Client) GetCredential() (AuthenticatedCredential, error) {
	cr, err := c.ev().Credential()
	if err != nil || cr == nil {
		return AuthenticatedCredential{}, err
	}
	return AuthenticatedCredential{Id: cr.Id, ConsumerId: cr.ConsumerId}, nil
}

// LoadConsumer loads a configured consumer by id or username (one round trip). A consumer that
// does not exist reads as the zero value with a nil error, as in go-pdk.
func (c Client) LoadConsumer(consumer_id string, by_username bool) (entities.Consumer, error) {
	cons, err := c.ev().LoadConsumer(consumer_id, by_username)
	return conv.Consumer(cons), err
}

// GetConsumer returns the authenticated consumer (zero value if none).
func (c Client) GetConsumer() (entities.Consumer, error) {
	cons, err := c.ev().Consumer()
	return conv.Consumer(cons), err
}

// Authenticate sets the consumer and/or credential of the request; one must be non-nil.
func (c Client) Authenticate(consumer *entities.Consumer, credential *AuthenticatedCredential) error {
	var cr *pb.Credential
	if credential != nil {
		cr = &pb.Credential{Id: credential.Id, ConsumerId: credential.ConsumerId}
	}
	return c.ev().Authenticate(conv.ConsumerPB(consumer), cr)
}

// GetProtocol returns "http" or "https"; with allow_terminated, the protocol seen by a trusted
// TLS-terminating proxy in front of the gateway.
func (c Client) GetProtocol(allow_terminated bool) (string, error) {
	return c.ev().ClientString("protocol", allow_terminated)
}

// FindCredential looks up a credential configured on a consumer by one field's value, e.g.
// FindCredential("keyauth_credentials", "key", key) (Gantry extension; one round trip). It
// returns nil, nil when nothing matched.
func (c Client) FindCredential(kind, field, value string) (*CredentialMatch, error) {
	m, err := c.ev().FindCredential(kind, field, value)
	if err != nil || m == nil {
		return nil, err
	}
	out := &CredentialMatch{Consumer: conv.Consumer(m.Consumer)}
	if cr := m.Credential; cr != nil {
		out.Credential = AuthenticatedCredential{Id: cr.Id, ConsumerId: cr.ConsumerId}
	}
	if m.FieldsJson != "" {
		_ = json.Unmarshal([]byte(m.FieldsJson), &out.Fields)
	}
	return out, nil
}
