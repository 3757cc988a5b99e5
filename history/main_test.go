package history

import (
	"os"
	"testing"

	"github.com/dozor-dev/dozor/test/harness"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir) // never returns
	}
	os.Exit(harness.Main(m))
}
