package request_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

func TestRequest_getters(t *testing.T) {
	k, _ := pdktest.New(pdktest.Request(), pdktest.FetchFunc(func(f *pb.Fetch) *pb.FetchResult {
		return &pb.FetchResult{Result: &pb.FetchResult_UriCaptures{UriCaptures: &pb.UriCaptures{Unnamed: [][]byte{[]byte("/a/b")}}}}
	}))
	r := k.Request
	check := func(got, want interface{}) {
		t.Helper()
		if got != want {
			t.Errorf("got %v, want %v", got, want)
		}
	}
	s, _ := r.GetMethod()
	check(s, "GET")
	s, _ = r.GetScheme()
	check(s, "http")
	s, _ = r.GetHost()
	check(s, "example.com")
	s, _ = r.GetForwardedHost()
	check(s, "example.com")
	p, _ := r.GetPort()
	check(p, 8000)
	s, _ = r.GetPath()
	check(s, "/a/b")
	s, _ = r.GetPathWithQuery()
	check(s, "/a/b?q=search+me&x=9&x=10&flag")
	s, _ = r.GetQueryArg("q")
	check(s, "search me")
	q, _ := r.GetQuery(-1)
	check(len(q["x"]), 2)
	s, _ = r.GetHeader("APIKEY")
	check(s, "k1")
	s, err := r.GetHeader("nope")
	check(s, "")
	check(err, nil)
	h, _ := r.GetHeaders(-1)
	check(len(h["x-multi"]), 2)
	h, _ = r.GetHeaders(1)
	check(len(h), 1)
	v, _ := r.GetHttpVersion()
	check(v, 1.1)
	un, named, err := r.GetUriCaptures()
	check(err, nil)
	check(string(un[0]), "/a/b")
	check(len(named), 0)
	s, _ = r.GetRequestId()
	check(s, "rid-1")
}
