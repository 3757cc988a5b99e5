// Command dozor is Dozor's command-line interface: flags become library
// calls, and results become reports and exit codes.
//
// Exit codes: 0 no findings at or above --fail-on; 1 findings at or above it;
// 2 invalid input or usage (errors in the input take precedence, because the
// scan is then incomplete).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitClean    = 0
	exitFindings = 1
	exitInvalid  = 2
	exitPartial  = 3
)

// version is set at link time (-ldflags "-X main.version=v0.1.0"); else the
// module version from the build info is used.
var version = ""

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// exitError carries an exit code up to main.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func main() {
	stop := startProfiles()
	code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args with the given standard streams and
// returns the exit code. Tests call it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return exitClean
	case errors.As(err, &ee):
		return ee.code
	}
	fmt.Fprintln(stderr, "dozor:", err)
	return exitInvalid
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "dozor",
		Short: "Security for Kubernetes: configuration checks, and more to come",
		Long: `Dozor finds security problems in Kubernetes configuration: manifests, Helm
charts and kustomizations, checked against the Pod Security Standards and
dozens of further rules, with reports for people (table) and for CI (JSON,
SARIF, JUnit).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newScanCommand(), newChecksCommand(), newVersionCommand())
	root.AddCommand(newInventoryCommand())
	root.AddCommand(newSnapshotCommand(), newDiffCommand())
	root.AddCommand(newWatchCommand(), newHistoryCommand())
	root.AddCommand(newDBCommand(), newComponentsCommand())
	root.AddCommand(newAccessCommand())
	root.AddCommand(newImageCommand())
	root.AddCommand(newSBOMCommand())
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "dozor", toolVersion())
			return nil
		},
	}
}
