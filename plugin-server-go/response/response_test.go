package response_test

import (
	"errors"
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

func TestResponse_settersAndExit(t *testing.T) {
	call := pdktest.Request()
	call.Phase = pb.Phase_PHASE_RESPONSE
	call.Response = &pb.ResponseSnapshot{Status: 200, Headers: []*pb.Header{{Name: "Server", Value: "up"}}}
	k, ev := pdktest.New(call, nil)
	r := k.Response
	if s, _ := r.GetStatus(); s != 200 {
		t.Fatal(s)
	}
	_ = r.SetStatus(202)
	_ = r.SetHeader("x-a", "1")
	_ = r.AddHeader("x-a", "2")
	_ = r.ClearHeader("server")
	_ = r.SetHeaders(map[string][]string{"x-b": {"3"}})
	_ = r.SetRawBody([]byte("new"))
	if s, _ := r.GetStatus(); s != 202 {
		t.Errorf("status %d", s)
	}
	if h, _ := r.GetHeaders(-1); len(h["x-a"]) != 2 || h["server"] != nil || h["x-b"][0] != "3" {
		t.Errorf("headers %v", h)
	}
	if src, _ := r.GetSource(); src != "service" {
		t.Error(src)
	}
	r.ExitStatus(418)
	if err := r.SetStatus(1); !errors.Is(err, pdk.ErrExited) {
		t.Errorf("after exit: %v", err)
	}
	m := ev.Mutations()
	if len(m) != 7 || m[6].GetExit().GetStatus() != 418 || m[6].GetExit().HasBody {
		t.Errorf("%v", m)
	}
}
