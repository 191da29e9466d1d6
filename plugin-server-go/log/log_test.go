package log_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

func TestLog_levelsAndConcat(t *testing.T) {
	k, ev := pdktest.New(pdktest.Request(), nil)
	_ = k.Log.Err("a", 1, nil)
	_ = k.Log.Debug("b")
	_ = k.Log.Alert()
	m := ev.Mutations()
	if m[0].GetLog().Level != pb.LogLevel_LOG_LEVEL_ERR || m[0].GetLog().Message != "a1nil" ||
		m[1].GetLog().Level != pb.LogLevel_LOG_LEVEL_DEBUG || m[2].GetLog().Level != pb.LogLevel_LOG_LEVEL_ALERT {
		t.Errorf("%v", m)
	}
	if s, err := k.Log.Serialize(); err != nil || s == "" {
		t.Error(s, err)
	}
}
