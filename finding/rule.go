package finding

// Rule describes what an analyzer looks for. Every Finding points at the Rule
// that raised it. A Rule's ID never changes once released: users put it in
// ignore annotations and exception files.
type Rule struct {
	// ID is stable, upper case, and unique across Dozor: "DZ-PSS-003".
	ID string `json:"id"`
	// Name is a short kebab-case slug for people: "privileged-container".
	Name string `json:"name"`
	// Title is one line, without a full stop.
	Title string `json:"title"`
	// Severity is the default severity of the rule's findings.
	Severity Severity `json:"severity"`
	// Description says what is wrong and why it matters.
	Description string `json:"description"`
	// Remediation says how to fix it.
	Remediation string `json:"remediation"`
	// References are URLs to the primary sources.
	References []string `json:"references,omitempty"`
	// Mappings place the rule in the frameworks users are audited against.
	Mappings Mappings `json:"mappings"`
	// Tags group rules for selection: "workload", "rbac", "network", ...
	Tags []string `json:"tags,omitempty"`
}

// Mappings place a rule in external frameworks. Empty fields mean the
// framework has no control that the rule implements.
type Mappings struct {
	// PSS is the Pod Security Standards level the rule enforces: "baseline"
	// or "restricted".
	PSS string `json:"pss,omitempty"`
	// CIS lists CIS Kubernetes Benchmark v1.12 recommendations, such as "5.2.2".
	CIS []string `json:"cis,omitempty"`
	// NSA lists sections of the NSA/CISA Kubernetes Hardening Guide v1.2.
	NSA []string `json:"nsa,omitempty"`
	// ThreatMatrix lists Microsoft Threat Matrix for Kubernetes techniques,
	// such as "MS-TA9018".
	ThreatMatrix []string `json:"threatMatrix,omitempty"`
}

// Frameworks names the frameworks a rule maps onto, in a fixed order.
func (m Mappings) Frameworks() []string {
	var out []string
	if m.PSS != "" {
		out = append(out, "pss")
	}
	if len(m.CIS) > 0 {
		out = append(out, "cis")
	}
	if len(m.NSA) > 0 {
		out = append(out, "nsa")
	}
	if len(m.ThreatMatrix) > 0 {
		out = append(out, "threat-matrix")
	}
	return out
}
