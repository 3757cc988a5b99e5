// Package job checks Job and CronJob hygiene: clean-up of finished Jobs,
// deadlines, concurrent and late runs, and schedules the CronJob controller
// cannot parse.
package job

import (
	"strings"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the Job and CronJob checks.
func Checks() []*check.Check {
	return []*check.Check{ttlMissing(), deadlineMissing(), concurrentRuns(), startingDeadlineMissing(), invalidSchedule()}
}

const (
	docJob     = "https://kubernetes.io/docs/concepts/workloads/controllers/job/"
	docCronJob = "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/"
)

// cronJob is the part of a CronJob, in any served version, the checks read.
type cronJob struct {
	spec        string // schedule
	deadline    *int64 // startingDeadlineSeconds
	concurrency batchv1.ConcurrencyPolicy
	job         *batchv1.JobSpec
}

func asCronJob(obj *k8s.Object) (cronJob, bool) {
	switch c := obj.Typed.(type) {
	case *batchv1.CronJob:
		return cronJob{c.Spec.Schedule, c.Spec.StartingDeadlineSeconds, c.Spec.ConcurrencyPolicy, &c.Spec.JobTemplate.Spec}, true
	case *batchv1beta1.CronJob:
		return cronJob{c.Spec.Schedule, c.Spec.StartingDeadlineSeconds, batchv1.ConcurrencyPolicy(c.Spec.ConcurrencyPolicy), &c.Spec.JobTemplate.Spec}, true
	}
	return cronJob{}, false
}

// hookDeletePolicies are annotations by which deployment tools delete the
// Jobs they run as hooks.
var hookDeletePolicies = []string{"helm.sh/hook-delete-policy", "argocd.argoproj.io/hook-delete-policy"}

func ttlMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-JOB-001", Name: "job-ttl-missing",
			Title:    "Finished Job is never cleaned up",
			Severity: finding.Low,
			Description: "A finished Job, and its pods with their logs, stay in the cluster until someone deletes them: they pile up in etcd, " +
				"slow down every list of the namespace, and keep the pods' data around. ttlSecondsAfterFinished makes the TTL controller " +
				"delete the Job and its pods that long after it finishes. CronJobs are not flagged, their history limits clean up their " +
				"Jobs; nor are Jobs that Helm or Argo CD delete as hooks (hook-delete-policy).",
			Remediation: "Set spec.ttlSecondsAfterFinished (for example 86400 to keep a finished Job one day for inspection).",
			References:  []string{"https://kubernetes.io/docs/concepts/workloads/controllers/ttlafterfinished/", docJob},
			Tags:        []string{"job"},
		},
		Kinds: []string{"Job"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			j, ok := obj.Typed.(*batchv1.Job)
			if !ok || j.Spec.TTLSecondsAfterFinished != nil {
				return
			}
			for _, a := range hookDeletePolicies {
				if _, ok := obj.Meta.Annotations[a]; ok {
					return
				}
			}
			ctx.Report(obj, "spec.ttlSecondsAfterFinished", "Job %q sets no ttlSecondsAfterFinished and stays after it finishes", obj.Name())
		},
	}
}

func deadlineMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-JOB-002", Name: "job-deadline-missing",
			Title:    "Job has no deadline",
			Severity: finding.Low,
			Description: "Without activeDeadlineSeconds, a Job whose pod hangs (a lock never released, a network call without timeout) runs, " +
				"and holds its CPU, memory and any quota, forever; under a CronJob with concurrencyPolicy Forbid it also blocks every " +
				"later run. A deadline on the pod template bounds each pod too and is accepted, as is a CronJob with concurrencyPolicy " +
				"Replace, whose next run replaces a stuck one.",
			Remediation: "Set activeDeadlineSeconds in the Job spec (spec.jobTemplate.spec of a CronJob) to a generous upper bound of the run time.",
			References:  []string{docJob + "#job-termination-and-cleanup"},
			Tags:        []string{"job"},
		},
		Kinds: []string{"Job", "CronJob"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			if obj.Pod == nil || obj.Pod.Spec.ActiveDeadlineSeconds != nil {
				return
			}
			switch j := obj.Typed.(type) {
			case *batchv1.Job:
				if j.Spec.ActiveDeadlineSeconds == nil {
					ctx.Report(obj, "spec.activeDeadlineSeconds", "Job %q sets no activeDeadlineSeconds and may run forever", obj.Name())
				}
				return
			}
			if c, ok := asCronJob(obj); ok && c.job.ActiveDeadlineSeconds == nil && c.concurrency != batchv1.ReplaceConcurrent {
				ctx.Report(obj, "spec.jobTemplate.spec.activeDeadlineSeconds", "CronJob %q sets no activeDeadlineSeconds for its Jobs, which may run forever", obj.Name())
			}
		},
	}
}

func concurrentRuns() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-JOB-003", Name: "cronjob-concurrent-runs",
			Title:    "CronJob allows concurrent runs",
			Severity: finding.Low,
			Description: "With concurrencyPolicy Allow, the default, a CronJob starts a new Job on schedule even while the previous one still " +
				"runs. A run that takes longer than the interval, or hangs, makes runs pile up: they compete for the same data (double " +
				"processing, corrupted output) and for resources, until the namespace's quota or the nodes are exhausted.",
			Remediation: "Set spec.concurrencyPolicy to Forbid (skip a run while the previous one runs) or Replace (stop the previous one).",
			References:  []string{docCronJob + "#concurrency-policy"},
			Tags:        []string{"job"},
		},
		Kinds: []string{"CronJob"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			c, ok := asCronJob(obj)
			if !ok {
				return
			}
			switch c.concurrency {
			case "":
				ctx.Report(obj, "spec.concurrencyPolicy", "CronJob %q sets no concurrencyPolicy, so runs may overlap", obj.Name())
			case batchv1.AllowConcurrent:
				ctx.Report(obj, "spec.concurrencyPolicy", "CronJob %q allows runs to overlap", obj.Name())
			}
		},
	}
}

func startingDeadlineMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-JOB-004", Name: "cronjob-starting-deadline-missing",
			Title:    "CronJob has no starting deadline",
			Severity: finding.Low,
			Description: "When the CronJob controller misses a scheduled time (the controller or the control plane was down, or concurrencyPolicy " +
				"Forbid held the run back), it starts the run however late it is without startingDeadlineSeconds: a nightly batch runs " +
				"in the middle of the working day after an outage. The controller counts the missed schedules since the last run; with " +
				"more than 100 of them, controllers before Kubernetes 1.21 stopped scheduling the CronJob altogether, and current ones " +
				"warn (TooManyMissedTimes) on every sync. A starting deadline bounds both.",
			Remediation: "Set spec.startingDeadlineSeconds to how late a run may still start (at least 10 seconds, the controller's sync period; for example 600).",
			References:  []string{docCronJob + "#job-creation"},
			Tags:        []string{"job"},
		},
		Kinds: []string{"CronJob"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			if c, ok := asCronJob(obj); ok && c.deadline == nil {
				ctx.Report(obj, "spec.startingDeadlineSeconds", "CronJob %q sets no startingDeadlineSeconds, so missed runs start however late", obj.Name())
			}
		},
	}
}

func invalidSchedule() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-JOB-005", Name: "cronjob-schedule-invalid",
			Title:    "CronJob schedule cannot be parsed",
			Severity: finding.Medium,
			Description: "The API server parses a CronJob's schedule with the same standard cron parser (github.com/robfig/cron) as the " +
				"controller, and rejects what it cannot parse: five fields (minute, hour, day of month, month, day of week) or a " +
				"descriptor such as @hourly. It also rejects a time zone written in the schedule (TZ=... or CRON_TZ=...), which " +
				"belongs in spec.timeZone. The CronJob is then never created, and the job never runs.",
			Remediation: "Write a five-field schedule (for example \"30 2 * * *\" for 02:30 daily) or a descriptor (@daily), and set the time zone in spec.timeZone.",
			References:  []string{docCronJob + "#schedule-syntax", docCronJob + "#time-zones"},
			Tags:        []string{"job", "validity"},
		},
		Kinds: []string{"CronJob"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			c, ok := asCronJob(obj)
			if !ok {
				return
			}
			if strings.Contains(c.spec, "TZ") {
				ctx.Report(obj, "spec.schedule", "CronJob %q writes a time zone in its schedule %q: the API server accepts it only in spec.timeZone", obj.Name(), c.spec)
				return
			}
			if _, err := cron.ParseStandard(c.spec); err != nil {
				ctx.Report(obj, "spec.schedule", "CronJob %q has schedule %q, which is not a valid cron schedule: %v", obj.Name(), c.spec, err)
			}
		},
	}
}
