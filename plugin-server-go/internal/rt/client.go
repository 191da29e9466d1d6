package rt

import (
	"errors"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// Consumer and credential of the request (kong.client.*).

// Consumer is the authenticated consumer from the snapshot (nil if none).
func (e *Event) Consumer() (*pb.Consumer, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	return e.call.Consumer, nil
}

// Credential is the authenticated credential from the snapshot (nil if none).
func (e *Event) Credential() (*pb.Credential, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	return e.call.Credential, nil
}

// Authenticate is kong.client.authenticate.
func (e *Event) Authenticate(c *pb.Consumer, cred *pb.Credential) error {
	if err := e.check(); err != nil {
		return err
	}
	if c == nil && cred == nil {
		return errors.New("either credential or consumer must be provided")
	}
	e.call.Consumer, e.call.Credential = c, cred
	e.push(&pb.Mutation{Op: &pb.Mutation_Authenticate{Authenticate: &pb.Authenticate{Consumer: c, Credential: cred}}})
	return nil
}

// LoadConsumer is kong.client.load_consumer (one fetch); nil, nil when not found.
func (e *Event) LoadConsumer(idOrName string, byUsername bool) (*pb.Consumer, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	res, err := e.fetch(&pb.Fetch{What: &pb.Fetch_Consumer{Consumer: &pb.ConsumerLookup{IdOrUsername: idOrName, ByUsername: byUsername}}})
	if err != nil {
		return nil, err
	}
	return res.GetConsumer(), nil
}

// FindCredential looks a credential up by one field (Gantry extension, one fetch); nil, nil when
// nothing matched.
func (e *Event) FindCredential(kind, field, value string) (*pb.CredentialMatch, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	res, err := e.fetch(&pb.Fetch{What: &pb.Fetch_Credential{Credential: &pb.CredentialLookup{Kind: kind, Field: field, Value: value}}})
	if err != nil {
		return nil, err
	}
	return res.GetCredential(), nil
}

// RouteID and ServiceID of the matched route/service (snapshot).
func (e *Event) RouteID() string   { return e.call.RouteId }
func (e *Event) ServiceID() string { return e.call.ServiceId }

// Route is kong.router.get_route (one fetch, cached).
func (e *Event) Route() (*pb.Route, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	if e.route == nil {
		res, err := e.fetch(&pb.Fetch{What: &pb.Fetch_Route{Route: &pb.Empty{}}})
		if err != nil {
			return nil, err
		}
		e.route = res.GetRoute()
		if e.route == nil {
			e.route = &pb.Route{}
		}
	}
	return e.route, nil
}

// Service is kong.router.get_service (one fetch, cached).
func (e *Event) Service() (*pb.Service, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	if e.service == nil {
		res, err := e.fetch(&pb.Fetch{What: &pb.Fetch_Service{Service: &pb.Empty{}}})
		if err != nil {
			return nil, err
		}
		e.service = res.GetService()
		if e.service == nil {
			e.service = &pb.Service{}
		}
	}
	return e.service, nil
}

// IsTrusted is kong.ip.is_trusted (one fetch).
func (e *Event) IsTrusted(addr string) (bool, error) {
	if err := e.check(); err != nil {
		return false, err
	}
	res, err := e.fetch(&pb.Fetch{What: &pb.Fetch_IsTrustedIp{IsTrustedIp: addr}})
	if err != nil {
		return false, err
	}
	return res.GetIsTrustedIp(), nil
}

// NodeID is kong.node.get_id: one fetch per process, then cached.
func (e *Event) NodeID() (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	if id, ok := nodeID.Load().(string); ok {
		return id, nil
	}
	res, err := e.fetch(&pb.Fetch{What: &pb.Fetch_NodeId{NodeId: &pb.Empty{}}})
	if err != nil {
		return "", err
	}
	id := res.GetNodeId()
	if id != "" {
		nodeID.Store(id)
	}
	return id, nil
}

// Ids returns the snapshot's route id (route) or service id.
func (e *Event) Ids(route bool) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	if route {
		return e.call.RouteId, nil
	}
	return e.call.ServiceId, nil
}
