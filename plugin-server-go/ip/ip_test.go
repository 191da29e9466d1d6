package ip_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

func TestIp_isTrusted(t *testing.T) {
	k, _ := pdktest.New(pdktest.Request(), pdktest.FetchFunc(func(f *pb.Fetch) *pb.FetchResult {
		return &pb.FetchResult{Result: &pb.FetchResult_IsTrustedIp{IsTrustedIp: f.GetIsTrustedIp() == "10.0.0.1"}}
	}))
	if ok, _ := k.IP.IsTrusted("10.0.0.1"); !ok {
		t.Error("trusted")
	}
	if ok, _ := k.IP.IsTrusted("1.1.1.1"); ok {
		t.Error("untrusted")
	}
}
