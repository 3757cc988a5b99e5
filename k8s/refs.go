package k8s

import "strconv"

// PodRef is a reference from a pod template to a ConfigMap or Secret in the
// pod's namespace.
type PodRef struct {
	// Kind is "ConfigMap" or "Secret".
	Kind string
	// Name is the referenced object's name; never empty.
	Name string
	// Optional is true when the pod starts without the object: a volume,
	// key reference or envFrom source marked optional.
	Optional bool
	// Path is the field that holds the name, within the object.
	Path Path
	// Via says what refers to it, for messages: `volume "certs"`,
	// `environment variable "DB_PASSWORD" of container "app"`,
	// `imagePullSecrets`.
	Via string
}

// References lists the ConfigMaps and Secrets the pod template refers to, in
// the order of the pod spec: volumes (including projected sources and the
// secrets of CSI and other volume plugins), then per container (init,
// regular, ephemeral) env and envFrom, then imagePullSecrets. References
// with an empty name are left out.
func (pt *PodTemplate) References() []PodRef {
	var out []PodRef
	add := func(kind, name string, optional *bool, at Path, via string) {
		if name == "" {
			return
		}
		out = append(out, PodRef{Kind: kind, Name: name, Optional: optional != nil && *optional, Path: at, Via: via})
	}
	spec := pt.Spec
	for i := range spec.Volumes {
		v := &spec.Volumes[i]
		at := pt.SpecPath.Field("volumes").Index(i)
		via := "volume " + strconv.Quote(v.Name)
		switch {
		case v.ConfigMap != nil:
			add("ConfigMap", v.ConfigMap.Name, v.ConfigMap.Optional, at.Field("configMap").Field("name"), via)
		case v.Secret != nil:
			add("Secret", v.Secret.SecretName, v.Secret.Optional, at.Field("secret").Field("secretName"), via)
		case v.Projected != nil:
			for j, s := range v.Projected.Sources {
				sat := at.Field("projected").Field("sources").Index(j)
				if s.ConfigMap != nil {
					add("ConfigMap", s.ConfigMap.Name, s.ConfigMap.Optional, sat.Field("configMap").Field("name"), via)
				}
				if s.Secret != nil {
					add("Secret", s.Secret.Name, s.Secret.Optional, sat.Field("secret").Field("name"), via)
				}
			}
		case v.CSI != nil && v.CSI.NodePublishSecretRef != nil:
			add("Secret", v.CSI.NodePublishSecretRef.Name, nil, at.Field("csi").Field("nodePublishSecretRef").Field("name"), via)
		case v.AzureFile != nil:
			add("Secret", v.AzureFile.SecretName, nil, at.Field("azureFile").Field("secretName"), via)
		case v.CephFS != nil && v.CephFS.SecretRef != nil:
			add("Secret", v.CephFS.SecretRef.Name, nil, at.Field("cephfs").Field("secretRef").Field("name"), via)
		case v.RBD != nil && v.RBD.SecretRef != nil:
			add("Secret", v.RBD.SecretRef.Name, nil, at.Field("rbd").Field("secretRef").Field("name"), via)
		case v.ISCSI != nil && v.ISCSI.SecretRef != nil:
			add("Secret", v.ISCSI.SecretRef.Name, nil, at.Field("iscsi").Field("secretRef").Field("name"), via)
		case v.FlexVolume != nil && v.FlexVolume.SecretRef != nil:
			add("Secret", v.FlexVolume.SecretRef.Name, nil, at.Field("flexVolume").Field("secretRef").Field("name"), via)
		}
	}
	for _, c := range pt.Containers() {
		for i := range c.Env {
			e := &c.Env[i]
			if e.ValueFrom == nil {
				continue
			}
			at := c.Path.Field("env").Index(i).Field("valueFrom")
			via := "environment variable " + strconv.Quote(e.Name) + " of container " + strconv.Quote(c.Name)
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				add("ConfigMap", r.Name, r.Optional, at.Field("configMapKeyRef").Field("name"), via)
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				add("Secret", r.Name, r.Optional, at.Field("secretKeyRef").Field("name"), via)
			}
		}
		for i := range c.EnvFrom {
			e := &c.EnvFrom[i]
			at := c.Path.Field("envFrom").Index(i)
			via := "envFrom of container " + strconv.Quote(c.Name)
			if r := e.ConfigMapRef; r != nil {
				add("ConfigMap", r.Name, r.Optional, at.Field("configMapRef").Field("name"), via)
			}
			if r := e.SecretRef; r != nil {
				add("Secret", r.Name, r.Optional, at.Field("secretRef").Field("name"), via)
			}
		}
	}
	for i, s := range spec.ImagePullSecrets {
		add("Secret", s.Name, nil, pt.SpecPath.Field("imagePullSecrets").Index(i).Field("name"), "imagePullSecrets")
	}
	return out
}
