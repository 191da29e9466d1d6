// Package conv converts between the wire types and go-pdk's entity types.
package conv

import (
	"github.com/gantry-gateway/gantry/plugin-server-go/entities"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// Consumer converts a wire consumer (nil -> zero value).
func Consumer(c *pb.Consumer) entities.Consumer {
	if c == nil {
		return entities.Consumer{}
	}
	return entities.Consumer{Id: c.Id, Username: c.Username, CustomId: c.CustomId, Tags: c.Tags}
}

// ConsumerPB converts a consumer to the wire (nil -> nil).
func ConsumerPB(c *entities.Consumer) *pb.Consumer {
	if c == nil {
		return nil
	}
	return &pb.Consumer{Id: c.Id, Username: c.Username, CustomId: c.CustomId, Tags: c.Tags}
}

// Route converts a wire route.
func Route(r *pb.Route) entities.Route {
	if r == nil {
		return entities.Route{}
	}
	return entities.Route{
		Id: r.Id, Name: r.Name, Protocols: r.Protocols, Methods: r.Methods, Hosts: r.Hosts,
		Paths: r.Paths, Headers: r.Headers, HTTPSRedirectStatusCode: int(r.HttpsRedirectStatusCode),
		RegexPriority: int(r.RegexPriority), StripPath: r.StripPath, PreserveHost: r.PreserveHost,
		Tags: r.Tags, Service: entities.ServiceKey{Id: r.ServiceId},
	}
}

// Service converts a wire service.
func Service(s *pb.Service) entities.Service {
	if s == nil {
		return entities.Service{}
	}
	return entities.Service{
		Id: s.Id, Name: s.Name, Retries: int(s.Retries), Protocol: s.Protocol, Host: s.Host,
		Port: int(s.Port), Path: s.Path, ConnectTimeout: int(s.ConnectTimeout),
		WriteTimeout: int(s.WriteTimeout), ReadTimeout: int(s.ReadTimeout), Tags: s.Tags,
	}
}
