package test

import (
	"context"
	"encoding/json"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// fakeCore answers the PDK's lazy fetches from the environment (go-pdk's test fixtures).
type fakeCore struct{ e *TestEnv }

func (f fakeCore) Fetch(_ context.Context, q *pb.Fetch) (*pb.FetchResult, error) {
	e := f.e
	r := &pb.FetchResult{FetchId: q.FetchId}
	switch w := q.What.(type) {
	case *pb.Fetch_RequestBody:
		r.Result = &pb.FetchResult_RequestBody{RequestBody: e.ClientReq.Body}
	case *pb.Fetch_Route:
		r.Result = &pb.FetchResult_Route{Route: &pb.Route{Id: e.RouteId, Name: "route_66",
			Protocols: []string{"http", "tcp"}, Paths: []string{"/v0/left", "/v1/this"}, ServiceId: e.ServiceId}}
	case *pb.Fetch_Service:
		r.Result = &pb.FetchResult_Service{Service: &pb.Service{Id: e.ServiceId, Name: "self_service",
			Protocol: "http", Path: "/v0/left"}}
	case *pb.Fetch_Consumer:
		r.Result = &pb.FetchResult_NotFound{NotFound: "consumer"}
		if len(e.Consumers) == 0 {
			r.Result = &pb.FetchResult_Consumer{Consumer: &pb.Consumer{Id: "001", Username: "Jon Doe"}}
		}
		for _, c := range e.Consumers {
			if (w.Consumer.ByUsername && c.Username == w.Consumer.IdOrUsername) || (!w.Consumer.ByUsername && c.Id == w.Consumer.IdOrUsername) {
				r.Result = &pb.FetchResult_Consumer{Consumer: &pb.Consumer{Id: c.Id, Username: c.Username, CustomId: c.CustomId, Tags: c.Tags}}
				break
			}
		}
	case *pb.Fetch_Credential:
		r.Result = &pb.FetchResult_NotFound{NotFound: "credential"}
		l := w.Credential
		for _, c := range e.Credentials {
			if c.Kind == l.Kind && c.Field == l.Field && c.Value == l.Value {
				fields, _ := json.Marshal(map[string]string{l.Field: l.Value})
				r.Result = &pb.FetchResult_Credential{Credential: &pb.CredentialMatch{
					Credential: &pb.Credential{Id: c.Id, ConsumerId: c.Consumer.Id},
					Consumer:   &pb.Consumer{Id: c.Consumer.Id, Username: c.Consumer.Username, CustomId: c.Consumer.CustomId},
					FieldsJson: string(fields),
				}}
				break
			}
		}
	case *pb.Fetch_UriCaptures:
		r.Result = &pb.FetchResult_UriCaptures{UriCaptures: &pb.UriCaptures{}}
	case *pb.Fetch_NodeId:
		r.Result = &pb.FetchResult_NodeId{NodeId: "a9777ac2-57e6-482b-a3c4-ef3d6ca41a1f"}
	case *pb.Fetch_IsTrustedIp:
		r.Result = &pb.FetchResult_IsTrustedIp{IsTrustedIp: true}
	}
	return r, nil
}
