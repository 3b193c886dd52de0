// Every target the benchmark knows, in the order they are measured.
import { pluginTargets } from './plugins.ts';
import { nginxDirect, nginxProxy, remoraTarget, undiciProxy, type SkippedTarget, type Target } from './targets.ts';

export async function allTargets(root: string, hasNginx: boolean, wanted: (id: string) => boolean): Promise<(Target | SkippedTarget)[]> {
  const skipNginx = 'nginx is not installed (apt-get install -y nginx)';
  return [
    hasNginx ? nginxDirect : { id: nginxDirect.id, label: nginxDirect.label, skipped: skipNginx },
    hasNginx ? nginxProxy : { id: nginxProxy.id, label: nginxProxy.label, skipped: skipNginx },
    undiciProxy,
    remoraTarget({ id: 'remora', label: 'Remora, no plugins, access log off', kind: 'remora', accessLog: false }),
    remoraTarget({ id: 'remora-accesslog', label: 'Remora, no plugins, access log on (to a file)', kind: 'remora-accesslog', accessLog: true }),
    ...(await pluginTargets(root, wanted)),
  ];
}
