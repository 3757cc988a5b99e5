// Package pss checks pod templates against the Pod Security Standards with
// k8s.io/pod-security-admission, the code the API server itself enforces them
// with. Each control is its own check, so a finding names one control, and
// the container, volume or pod field that fails it.
package pss

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// control describes how one PSA check becomes a Dozor check.
type control struct {
	psa      policy.CheckID
	id       string
	name     string
	title    string
	severity finding.Severity
	desc     string
	fix      string
	cis      []string
	threat   []string
	// podField and containerField return the field that fails the control,
	// relative to the pod spec or to the container.
	podField       func(*corev1.PodSpec) k8s.Path
	containerField func(*corev1.Container) k8s.Path
}

const pssDoc = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"

// Checks returns one check per Pod Security Standards control.
func Checks() []*check.Check {
	psa := map[policy.CheckID]policy.Check{}
	for _, c := range policy.DefaultChecks() {
		psa[c.ID] = c
	}
	out := make([]*check.Check, 0, len(controls))
	for _, ctl := range controls {
		pc, ok := psa[ctl.psa]
		if !ok {
			panic(fmt.Sprintf("pss: pod-security-admission has no check %q", ctl.psa))
		}
		out = append(out, newCheck(ctl, pc))
	}
	return out
}

func newCheck(ctl control, pc policy.Check) *check.Check {
	level := string(pc.Level)
	nsa := []string{check.NSAPodSecurity}
	eval, err := policy.NewEvaluator([]policy.Check{pc}, nil)
	if err != nil {
		panic(fmt.Sprintf("pss: %s: %v", ctl.psa, err))
	}
	// A restricted control may replace a baseline one (capabilities,
	// seccomp, procMount, volumes): where the baseline control fails too, the
	// restricted one says nothing new.
	var overridden *policy.Evaluator
	if ov := pc.Versions[len(pc.Versions)-1].OverrideCheckIDs; len(ov) > 0 {
		for _, b := range policy.DefaultChecks() {
			if b.ID == ov[0] {
				e, err := policy.NewEvaluator([]policy.Check{b}, nil)
				if err != nil {
					panic(err)
				}
				var ev policy.Evaluator = e
				overridden = &ev
			}
		}
	}
	c := &check.Check{
		Rule: finding.Rule{
			ID:          ctl.id,
			Name:        ctl.name,
			Title:       ctl.title,
			Severity:    ctl.severity,
			Description: ctl.desc,
			Remediation: ctl.fix,
			References:  []string{pssDoc},
			Mappings: finding.Mappings{
				PSS:          level,
				CIS:          ctl.cis,
				NSA:          nsa,
				ThreatMatrix: ctl.threat,
			},
			Tags: []string{"pss", "pss-" + level, "workload", "security-context"},
		},
		Kinds: k8s.WorkloadKinds,
	}
	c.Object = func(ctx *check.Context, obj *k8s.Object) {
		pt := obj.Pod
		if pt == nil {
			return
		}
		lv := api.LevelVersion{Level: pc.Level, Version: policyVersion(ctx.Options().KubeVersion)}
		fails := func(ev policy.Evaluator, spec *corev1.PodSpec) (policy.CheckResult, bool) {
			for _, r := range ev.EvaluatePod(lv, pt.Meta, spec) {
				if !r.Allowed {
					return r, true
				}
			}
			return policy.CheckResult{}, false
		}
		whole, failed := fails(eval, pt.Spec)
		if !failed {
			return
		}
		// culprit reports whether a part of the pod fails this control and
		// not the baseline control it overrides (which says it already).
		culprit := func(spec *corev1.PodSpec) (policy.CheckResult, bool) {
			r, bad := fails(eval, spec)
			if bad && overridden != nil {
				if _, base := fails(*overridden, spec); base {
					return r, false
				}
			}
			return r, bad
		}
		if _, bad := culprit(pt.Spec); !bad {
			return
		}
		reported := false
		// The pod's own fields, without containers or volumes.
		podOnly := *pt.Spec
		podOnly.Containers, podOnly.InitContainers, podOnly.EphemeralContainers, podOnly.Volumes = nil, nil, nil, nil
		podFails := false
		if r, bad := culprit(&podOnly); bad {
			ctx.Report(obj, pt.SpecPath.Join(ctl.podField(pt.Spec)), "%s", message(r, "pod"))
			reported, podFails = true, true
		}
		// Each volume alone. Like a container below, a volume is a culprit
		// of its own only when PSA names it, if the pod's fields fail too.
		for i := range pt.Spec.Volumes {
			one := podOnly
			one.Volumes = pt.Spec.Volumes[i : i+1]
			if r, bad := culprit(&one); bad && (!podFails || strings.Contains(r.ForbiddenDetail, strconv.Quote(pt.Spec.Volumes[i].Name))) {
				ctx.Report(obj, pt.SpecPath.Field("volumes").Index(i), "%s", message(r, fmt.Sprintf("volume %q", pt.Spec.Volumes[i].Name)))
				reported = true
			}
		}
		// Each container alone, with the pod-level settings it inherits.
		for _, ctr := range pt.Containers() {
			one := *pt.Spec
			one.Containers, one.InitContainers, one.EphemeralContainers, one.Volumes = nil, nil, nil, nil
			switch ctr.Type {
			case k8s.InitContainer:
				one.InitContainers = []corev1.Container{*ctr.Container}
			case k8s.EphemeralContainer:
				one.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon(*ctr.Container)}}
			default:
				one.Containers = []corev1.Container{*ctr.Container}
			}
			// A container that fails only through the pod-level settings it
			// inherits is not a culprit of its own: PSA names the containers
			// that fail by their own settings.
			if r, bad := culprit(&one); bad && (!podFails || strings.Contains(r.ForbiddenDetail, strconv.Quote(ctr.Name))) {
				ctx.ReportContainer(obj, ctr, ctl.containerField(ctr.Container), "%s", message(r, fmt.Sprintf("container %q", ctr.Name)))
				reported = true
			}
		}
		if !reported {
			// Only the combination fails: report the object with the whole verdict.
			ctx.Report(obj, pt.SpecPath, "%s", message(whole, "pod"))
		}
	}
	return c
}

// message words a PSA verdict for one culprit, preferring PSA's own detail,
// which names the containers and fields concerned.
func message(r policy.CheckResult, who string) string {
	reason := r.ForbiddenReason
	if reason == "" {
		reason = policy.UnknownForbiddenReason
	}
	d := r.ForbiddenDetail
	switch {
	case d == "":
		return fmt.Sprintf("%s: %s", who, reason)
	case strings.Contains(d, "must") || strings.Contains(d, "="):
		return fmt.Sprintf("%s: %s", reason, d)
	case strings.Contains(d, who):
		return fmt.Sprintf("%s (%s)", reason, d)
	}
	return fmt.Sprintf("%s: %s (%s)", who, reason, d)
}

// policyVersion returns the PSS policy version for a Kubernetes version,
// "latest" when none is given or when it is newer than the library knows.
func policyVersion(v check.Version) api.Version {
	if v.Major == 0 {
		return api.LatestVersion()
	}
	return api.MajorMinorVersion(v.Major, v.Minor)
}
