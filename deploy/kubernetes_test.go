package deploy_test

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/config"
)

// kubeDecoder decodes YAML into the Kubernetes API types, and the Prometheus
// Operator's for its CRDs, strictly: an unknown or duplicate field is an error.
func kubeDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, networkingv1.AddToScheme,
		policyv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// objects is a kustomize build, decoded.
type objects struct {
	dir  string
	list []runtime.Object
}

// kustomizeBuild runs kustomize (its Go API, as `kustomize build` and `kubectl
// apply -k` do) on a folder of deploy/kubernetes and decodes every object strictly.
func kustomizeBuild(t *testing.T, dir string) *objects {
	t.Helper()
	path := filepath.Join(root, "deploy/kubernetes", dir)
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resources, err := k.Run(filesys.MakeFsOnDisk(), path)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	dec := kubeDecoder(t)
	o := &objects{dir: dir}
	for _, r := range resources.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		obj, gvk, err := dec.Decode(y, nil, nil)
		if err != nil {
			t.Errorf("%s: %s %s does not decode strictly: %v", dir, r.GetKind(), r.GetName(), err)
			continue
		}
		if gvk.Kind != r.GetKind() {
			t.Errorf("%s: %s decoded as %s", dir, r.GetKind(), gvk.Kind)
		}
		o.list = append(o.list, obj)
	}
	return o
}

// get returns the object of type T with this name; ok is false when there is none.
func get[T runtime.Object](o *objects, name string) (T, bool) {
	for _, obj := range o.list {
		if v, ok := obj.(T); ok {
			if m, err := metaOf(obj); err == nil && m.GetName() == name {
				return v, true
			}
		}
	}
	var zero T
	return zero, false
}

func metaOf(obj runtime.Object) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%T has no metadata", obj)
	}
	return m, nil
}

// must is get, failing the test when the object is missing.
func must[T runtime.Object](t *testing.T, o *objects, name string) T {
	t.Helper()
	v, ok := get[T](o, name)
	if !ok {
		var zero T
		t.Fatalf("%s: no %T named %s", o.dir, zero, name)
	}
	return v
}

func TestKustomizeBase(t *testing.T) {
	o := kustomizeBuild(t, "base")
	d := must[*appsv1.Deployment](t, o, "synthesisvr-exporter")
	if r := d.Spec.Replicas; r == nil || *r != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("base: want 1 replica with strategy Recreate (one bolt file), got %v %s", d.Spec.Replicas, d.Spec.Strategy.Type)
	}
	checkExporterWorkload(t, o, deploymentWorkload(d))
	pod := d.Spec.Template.Spec
	data := volume(t, pod, "data")
	if data.PersistentVolumeClaim == nil {
		t.Fatalf("base: the data volume is not a PersistentVolumeClaim: %+v", data)
	}
	must[*corev1.PersistentVolumeClaim](t, o, data.PersistentVolumeClaim.ClaimName)
	checkServing(t, o, deploymentWorkload(d))
	must[*monitoringv1.PrometheusRule](t, o, "synthesisvr-exporter")
	cm := must[*corev1.ConfigMap](t, o, "synthesisvr-dashboards")
	if cm.Labels["grafana_dashboard"] != "1" || len(cm.Data) == 0 {
		t.Errorf("base: the dashboards ConfigMap has labels %v and %d dashboards", cm.Labels, len(cm.Data))
	}
}

func TestKustomizeHA(t *testing.T) {
	o := kustomizeBuild(t, "overlays/ha")
	if _, ok := get[*appsv1.Deployment](o, "synthesisvr-exporter"); ok {
		t.Error("ha: the base's Deployment is left beside the StatefulSet")
	}
	ss := must[*appsv1.StatefulSet](t, o, "synthesisvr-exporter")
	if r := ss.Spec.Replicas; r == nil || *r != 2 {
		t.Errorf("ha: want 2 replicas, got %v", ss.Spec.Replicas)
	}
	if ss.Spec.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType {
		t.Errorf("ha: want a rolling update, one pod at a time, got %+v", ss.Spec.UpdateStrategy)
	}
	d := workload{where: "ha: StatefulSet " + ss.Name, selector: ss.Spec.Selector, template: ss.Spec.Template}
	checkExporterWorkload(t, o, d)
	checkServing(t, o, d)
	pod := ss.Spec.Template.Spec
	checkSpoolClaim(t, ss)
	checkDrain(t, "ha", pod, 15*time.Second)
	for _, obj := range o.list {
		if pvc, ok := obj.(*corev1.PersistentVolumeClaim); ok {
			t.Errorf("ha: the base's claim %s is left behind, unused", pvc.Name)
		}
	}
	// The StatefulSet's container is the base's, but for the flags.
	base := must[*appsv1.Deployment](t, kustomizeBuild(t, "base"), "synthesisvr-exporter").Spec.Template.Spec.Containers[0]
	ha := pod.Containers[0]
	base.Args, ha.Args = nil, nil
	if !equality.Semantic.DeepEqual(base, ha) {
		t.Errorf("ha: the exporter's container differs from the base's in more than its flags:\nbase %+v\nha   %+v", base, ha)
	}

	args := pod.Containers[0].Args
	if !slices.Contains(args, "--storage.backend=redis") {
		t.Errorf("ha: the exporter does not use Redis: %q", args)
	}
	redisURL := flagValue(args, "--storage.redis.url")
	u, err := url.Parse(redisURL)
	if err != nil || u.Scheme != "redis" {
		t.Fatalf("ha: --storage.redis.url=%q: %v", redisURL, err)
	}
	svc := must[*corev1.Service](t, o, u.Hostname())
	rs := must[*appsv1.StatefulSet](t, o, "synthesisvr-redis")
	if !selects(svc.Spec.Selector, rs.Spec.Template.Labels) || !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return fmt.Sprint(p.Port) == u.Port() }) {
		t.Errorf("ha: Service %s does not lead to Redis on port %s", svc.Name, u.Port())
	}
	restrictedPod(t, "ha: StatefulSet synthesisvr-redis", rs.Spec.Template.Spec)
	if a := strings.Join(rs.Spec.Template.Spec.Containers[0].Args, " "); !strings.Contains(a, "--appendonly yes") {
		t.Errorf("ha: Redis without its append-only file loses the sessions when it restarts: args %q", a)
	}
	if len(rs.Spec.VolumeClaimTemplates) == 0 {
		t.Error("ha: Redis keeps its data on no volume")
	}

	pdb := must[*policyv1.PodDisruptionBudget](t, o, "synthesisvr-exporter")
	if !selectorMatches(t, pdb.Spec.Selector, d.template.Labels) || pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 {
		t.Errorf("ha: the PodDisruptionBudget should keep 1 of the exporter's pods: %+v", pdb.Spec)
	}
	// The exporters may reach Redis, on top of the base's egress.
	reachesRedis := false
	for _, obj := range o.list {
		np, ok := obj.(*networkingv1.NetworkPolicy)
		if !ok || !selectorMatches(t, &np.Spec.PodSelector, d.template.Labels) {
			continue
		}
		for _, e := range np.Spec.Egress {
			for _, to := range e.To {
				if to.PodSelector != nil && selectorMatches(t, to.PodSelector, rs.Spec.Template.Labels) {
					reachesRedis = true
				}
			}
		}
	}
	if !reachesRedis {
		t.Error("ha: no NetworkPolicy lets the exporters reach Redis")
	}
}

// workload is the part of a Deployment or StatefulSet these tests check.
type workload struct {
	where    string
	selector *metav1.LabelSelector
	template corev1.PodTemplateSpec
}

func deploymentWorkload(d *appsv1.Deployment) workload {
	return workload{where: "Deployment " + d.Name, selector: d.Spec.Selector, template: d.Spec.Template}
}

// checkSpoolClaim checks that each pod keeps its spool on a claim of its own,
// mounted where --storage.path puts it, and kept when the pod goes.
func checkSpoolClaim(t *testing.T, ss *appsv1.StatefulSet) {
	t.Helper()
	c := ss.Spec.Template.Spec.Containers[0]
	dir := filepath.Dir(flagValue(c.Args, "--storage.path"))
	mounted := slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == dir && m.Name == "data" })
	claimed := slices.ContainsFunc(ss.Spec.VolumeClaimTemplates, func(p corev1.PersistentVolumeClaim) bool { return p.Name == "data" })
	if !mounted || !claimed || slices.ContainsFunc(ss.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "data" }) {
		t.Errorf("ha: the spool's folder %s should be the volume claim template data, not a pod volume", dir)
	}
	if p := ss.Spec.PersistentVolumeClaimRetentionPolicy; p == nil || p.WhenScaled != appsv1.RetainPersistentVolumeClaimRetentionPolicyType || p.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
		t.Errorf("ha: a spool's claim must be retained when the set is scaled down or deleted: %+v", p)
	}
}

// checkDrain checks that the pod drains at least min (long enough for the
// endpoints' removal to reach every proxy), and that Kubernetes waits for the
// drain, the requests in flight (10 s) and the close before it kills.
func checkDrain(t *testing.T, where string, pod corev1.PodSpec, min time.Duration) {
	t.Helper()
	drain, err := time.ParseDuration(flagValue(pod.Containers[0].Args, "--web.drain-delay"))
	if err != nil || drain < min {
		t.Errorf("%s: --web.drain-delay %v (%v), want at least %s", where, drain, err, min)
	}
	grace := time.Duration(30) * time.Second // Kubernetes's default
	if pod.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	}
	if grace < drain+10*time.Second+5*time.Second {
		t.Errorf("%s: terminationGracePeriodSeconds %s leaves no room after a drain of %s and 10 s of requests", where, grace, drain)
	}
}

// checkExporterWorkload checks the exporter's pod: restricted, probed, its flags
// accepted by the exporter, its config valid, its token a placeholder the exporter
// refuses.
func checkExporterWorkload(t *testing.T, o *objects, d workload) {
	t.Helper()
	where := o.dir + ": " + d.where
	if !selectorMatches(t, d.selector, d.template.Labels) {
		t.Errorf("%s: its selector does not match its pods", where)
	}
	pod := d.template.Spec
	restrictedPod(t, where, pod)
	c := pod.Containers[0]
	if !strings.Contains(c.Image, "synthesisvr_exporter") {
		t.Errorf("%s: image %q", where, c.Image)
	}
	for probe, want := range map[string]*corev1.Probe{"/-/healthy": c.LivenessProbe, "/-/ready": c.ReadinessProbe} {
		if want == nil || want.HTTPGet == nil || want.HTTPGet.Path != probe || !hasPort(c, want.HTTPGet.Port.String()) {
			t.Errorf("%s: want a probe on %s on a port of the container, got %+v", where, probe, want)
		}
	}
	if bin, ok := command(t, "synthesisvr_exporter"); ok {
		checkFlags(t, where, bin, c.Args)
	}

	cfgPath := flagValue(c.Args, "--config.file")
	cm := configMapAt(t, o, pod, c, cfgPath)
	if _, err := config.Parse(filepath.Base(cfgPath), "", []byte(cm)); err != nil {
		t.Errorf("%s: %s: %v", where, cfgPath, err)
	}
	for _, e := range c.Env {
		if e.Name != "SYNTHESISVR_WEBHOOK_TOKEN" {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		s := must[*corev1.Secret](t, o, ref.Name)
		tok, ok := s.StringData[ref.Key]
		if !ok {
			t.Fatalf("%s: Secret %s has no key %s", where, s.Name, ref.Key)
		}
		if config.ValidateToken(tok) == nil {
			t.Errorf("%s: the Secret's token is usable as it is: a token published in this repository must be one the exporter refuses", where)
		}
		return
	}
	t.Errorf("%s: SYNTHESISVR_WEBHOOK_TOKEN does not come from a Secret", where)
}

// checkServing checks that the Service, the ServiceMonitor and the NetworkPolicy
// reach the exporter's pods on their port, and that Prometheus scrapes them with the
// job the alert rules expect.
func checkServing(t *testing.T, o *objects, d workload) {
	t.Helper()
	pods, c := d.template.Labels, d.template.Spec.Containers[0]
	svc := must[*corev1.Service](t, o, "synthesisvr-exporter")
	if !selects(svc.Spec.Selector, pods) {
		t.Errorf("%s: the Service does not select the exporter's pods", o.dir)
	}
	ports := map[string]bool{}
	for _, p := range svc.Spec.Ports {
		ports[p.Name] = true
		if !hasPort(c, p.TargetPort.String()) {
			t.Errorf("%s: Service port %s leads to %s, not a port of the container", o.dir, p.Name, p.TargetPort.String())
		}
	}
	sm := must[*monitoringv1.ServiceMonitor](t, o, "synthesisvr-exporter")
	if !selectorMatches(t, &sm.Spec.Selector, svc.Labels) {
		t.Errorf("%s: the ServiceMonitor does not select the Service (labels %v)", o.dir, svc.Labels)
	}
	for _, ep := range sm.Spec.Endpoints {
		if !ports[ep.Port] {
			t.Errorf("%s: ServiceMonitor endpoint port %q is not a port of the Service", o.dir, ep.Port)
		}
		job := false
		for _, r := range ep.RelabelConfigs {
			job = job || r.TargetLabel == "job" && r.Replacement != nil && *r.Replacement == "synthesisvr"
		}
		if !job {
			t.Errorf(`%s: the ServiceMonitor does not set job="synthesisvr", which the alert rules expect`, o.dir)
		}
	}
	np := must[*networkingv1.NetworkPolicy](t, o, "synthesisvr-exporter")
	if !selectorMatches(t, &np.Spec.PodSelector, pods) || len(np.Spec.PolicyTypes) != 2 {
		t.Errorf("%s: the NetworkPolicy should select the exporter's pods, for ingress and egress", o.dir)
	}
	for _, in := range np.Spec.Ingress {
		for _, p := range in.Ports {
			if p.Port == nil || !hasPort(c, p.Port.String()) {
				t.Errorf("%s: the NetworkPolicy lets in port %v, not a port of the exporter", o.dir, p.Port)
			}
		}
	}
}

// restrictedPod checks what the "restricted" Pod Security Standard asks, and more:
// non-root, no privilege escalation, no capabilities, the runtime's seccomp profile,
// a read-only root file system, probes and resources.
func restrictedPod(t *testing.T, where string, pod corev1.PodSpec) {
	t.Helper()
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: want runAsNonRoot and seccomp RuntimeDefault on the pod, got %+v", where, psc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: mounts a service account token it does not need", where)
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Errorf("%s: container %s has no securityContext", where, c.Name)
			continue
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("%s: container %s allows privilege escalation", where, c.Name)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("%s: container %s has a writable root file system", where, c.Name)
		case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
			t.Errorf("%s: container %s should drop ALL capabilities and add none: %+v", where, c.Name, sc.Capabilities)
		}
		if c.ReadinessProbe == nil || c.LivenessProbe == nil {
			t.Errorf("%s: container %s lacks a readiness or liveness probe", where, c.Name)
		}
		if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
			t.Errorf("%s: container %s should request CPU and memory and limit memory: %+v", where, c.Name, c.Resources)
		}
	}
}

// configMapAt returns the content of the file at path in the container, from the
// ConfigMap volume mounted over its folder.
func configMapAt(t *testing.T, o *objects, pod corev1.PodSpec, c corev1.Container, path string) string {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if filepath.Dir(path) != m.MountPath {
			continue
		}
		v := volume(t, pod, m.Name)
		if v.ConfigMap == nil {
			t.Fatalf("%s: %s is not on a ConfigMap volume", o.dir, path)
		}
		cm := must[*corev1.ConfigMap](t, o, v.ConfigMap.Name)
		data, ok := cm.Data[filepath.Base(path)]
		if !ok {
			t.Fatalf("%s: ConfigMap %s has no %s", o.dir, cm.Name, filepath.Base(path))
		}
		return data
	}
	t.Fatalf("%s: nothing is mounted at %s", o.dir, filepath.Dir(path))
	return ""
}

func volume(t *testing.T, pod corev1.PodSpec, name string) corev1.Volume {
	t.Helper()
	for _, v := range pod.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no volume %s", name)
	return corev1.Volume{}
}

// hasPort reports whether port, a name or a number, is one of the container's.
func hasPort(c corev1.Container, port string) bool {
	return slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool {
		return p.Name == port || fmt.Sprint(p.ContainerPort) == port
	})
}

// flagValue returns the value of --name=value in args.
func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// selects reports whether a Service's selector picks pods with these labels.
func selects(selector, podLabels map[string]string) bool {
	return len(selector) > 0 && labels.SelectorFromSet(selector).Matches(labels.Set(podLabels))
}

func selectorMatches(t *testing.T, ls *metav1.LabelSelector, set map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatal(err)
	}
	return !s.Empty() && s.Matches(labels.Set(set))
}

// TestKubeDecoderIsStrict shows that the decoder of these tests rejects what a
// lenient one would drop silently.
func TestKubeDecoderIsStrict(t *testing.T) {
	bad := map[string]string{
		"unknown field in a Deployment":     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n",
		"misplaced securityContext field":   "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  securityContext: {readOnlyRootFilesystem: true}\n  containers: [{name: c, image: i}]\n",
		"unknown field in a ServiceMonitor": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec:\n  endpoints: [{port: http, intervall: 15s}]\n",
		"unknown field in a PrometheusRule": "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: x}\nspec:\n  groups: [{name: g, rules: [{alert: A, expr: up, fore: 5m}]}]\n",
		"duplicate field":                   "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  type: ClusterIP\n  type: NodePort\n",
	}
	dec := kubeDecoder(t)
	for name, doc := range bad {
		t.Run(name, func(t *testing.T) {
			if _, _, err := dec.Decode([]byte(doc), nil, nil); err == nil {
				t.Errorf("decoded without an error:\n%s", doc)
			}
		})
	}
}
