/**
 * actions/create-github-app-token: asks the forge for an App installation token (the emulator issues
 * one its API enforces), narrowed to the `permission-<scope>` inputs when any are given, masks it and
 * outputs it; the token is revoked when the job ends unless `skip-token-revoke` is true — what the
 * real action's post step does.
 */
import type { Access, Permissions } from '../ports.ts';
import type { StandIn } from './stand-in.ts';

const PERMISSION = 'permission-';

function list(text: string | undefined): string[] | undefined {
  const items = (text ?? '').split(/[\s,]+/).filter(Boolean);
  return items.length ? items : undefined;
}

export const createGithubAppToken: StandIn = {
  repository: 'actions/create-github-app-token',
  versions: {
    '1b10c78c7865c340bc4f6099eb2f838309f1e8c3': 'v3.1.1',
  },
  inputs: {
    'app-id': '',
    'client-id': '',
    'private-key': '',
    owner: '',
    repositories: '',
    'skip-token-revoke': 'false',
  },
  ignoredInputs: ['github-api-url'],
  acceptsInput: (name) => name.startsWith(PERMISSION),
  async run(s) {
    const appId = s.inputs['client-id'] || s.inputs['app-id'];
    if (!appId) throw new Error("Either 'client-id' or 'app-id' input must be set");
    if (!s.inputs['private-key']) throw new Error('Input required and not supplied: private-key');
    const permissions: Permissions = {};
    for (const [name, value] of Object.entries(s.inputs)) {
      if (!name.startsWith(PERMISSION) || !value) continue;
      if (value !== 'read' && value !== 'write' && value !== 'none')
        throw new Error(`${name} must be read, write or none, got '${value}'`);
      permissions[name.slice(PERMISSION.length)] = value as Access;
    }
    const issued = await s.tokens.appToken({
      appId,
      owner: s.inputs.owner || undefined,
      repositories: list(s.inputs.repositories),
      permissions: Object.keys(permissions).length ? permissions : undefined,
    });
    s.mask(issued.token);
    const granted = Object.entries(issued.permissions)
      .map(([scope, access]) => `${scope}: ${access}`)
      .join(', ');
    s.log.write(`Installation token for app ${issued.appSlug} (installation ${issued.installationId}): ${granted}`);
    if (s.inputs['skip-token-revoke'] !== 'true') {
      s.atJobEnd(async () => {
        await s.tokens.revoke(issued.token);
        s.log.write(`Revoked the installation token of ${issued.appSlug}`);
      });
    }
    return {
      outputs: { token: issued.token, 'installation-id': String(issued.installationId), 'app-slug': issued.appSlug },
    };
  },
};
