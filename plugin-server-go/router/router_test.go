package router_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

func TestRouter(t *testing.T) {
	n := 0
	k, _ := pdktest.New(pdktest.Request(), pdktest.FetchFunc(func(f *pb.Fetch) *pb.FetchResult {
		n++
		if f.GetRoute() != nil {
			return &pb.FetchResult{Result: &pb.FetchResult_Route{Route: &pb.Route{Id: "route-1", Name: "r", ServiceId: "svc-1", Paths: []string{"/a"}}}}
		}
		return &pb.FetchResult{Result: &pb.FetchResult_Service{Service: &pb.Service{Id: "svc-1", Port: 80}}}
	}))
	if id, _ := k.Router.GetRouteId(); id != "route-1" || n != 0 {
		t.Error("route id from snapshot", id, n)
	}
	r, err := k.Router.GetRoute()
	if err != nil || r.Name != "r" || r.Service.Id != "svc-1" || r.Paths[0] != "/a" {
		t.Error(r, err)
	}
	k.Router.GetRoute()
	s, _ := k.Router.GetService()
	if s.Port != 80 || n != 2 {
		t.Error(s, n)
	}
}
