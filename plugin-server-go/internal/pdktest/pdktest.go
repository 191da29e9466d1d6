// Package pdktest builds a PDK over a hand-made snapshot, for the SDK's own unit tests.
package pdktest

import (
	"context"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// FetchFunc answers fetches.
type FetchFunc func(*pb.Fetch) *pb.FetchResult

// Fetch implements rt.Fetcher and counts round trips.
func (f FetchFunc) Fetch(_ context.Context, q *pb.Fetch) (*pb.FetchResult, error) {
	r := f(q)
	r.FetchId = q.FetchId
	return r, nil
}

// Request returns a typical access-phase snapshot.
func Request() *pb.PhaseCall {
	return &pb.PhaseCall{
		Phase: pb.Phase_PHASE_ACCESS,
		Request: &pb.RequestSnapshot{
			Method: "GET", Scheme: "http", Host: "example.com", Port: 8000, Path: "/a/b",
			RawQuery: "q=search+me&x=9&x=10&flag", HttpVersion: "1.1",
			Headers: []*pb.Header{{Name: "Host", Value: "example.com"}, {Name: "X-Multi", Value: "1"},
				{Name: "x-multi", Value: "2"}, {Name: "Apikey", Value: "k1"}},
			ClientIp: "10.0.0.7", ClientPort: 5555, StartTimeMs: 1700000000500, RequestId: "rid-1",
		},
		RouteId: "route-1", ServiceId: "svc-1",
		Shared: map[string]string{"n": "3", "s": `"str"`, "o": `{"a":[1,true]}`},
	}
}

// New returns a PDK and its event over call; f may be nil.
func New(call *pb.PhaseCall, f rt.Fetcher) (*pdk.PDK, *rt.Event) {
	ev := &rt.Event{}
	ev.Reset(context.Background(), call, f)
	ev.BeginInstance(7)
	k := &pdk.PDK{}
	pdk.FillForEvent(k, ev)
	return k, ev
}
