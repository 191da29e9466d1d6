package response_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

func TestServiceResponse(t *testing.T) {
	call := pdktest.Request()
	call.Phase = pb.Phase_PHASE_RESPONSE
	call.Response = &pb.ResponseSnapshot{Status: 201, ServiceStatus: 200, Body: []byte("up"), HasBody: true,
		ServiceHeaders: []*pb.Header{{Name: "Content-Type", Value: "text/plain"}}}
	k, _ := pdktest.New(call, nil)
	sr := k.ServiceResponse
	if s, _ := sr.GetStatus(); s != 200 {
		t.Error(s)
	}
	if v, _ := sr.GetHeader("content-type"); v != "text/plain" {
		t.Error(v)
	}
	if h, _ := sr.GetHeaders(-1); len(h) != 1 {
		t.Error(h)
	}
	if b, _ := sr.GetRawBody(); string(b) != "up" {
		t.Error(b)
	}
	call = pdktest.Request()
	k, _ = pdktest.New(call, nil)
	if _, err := k.ServiceResponse.GetRawBody(); err == nil {
		t.Error("body outside the response phase")
	}
}
