// Builds the Teams app package (manifest.json + color.png + outline.png, zipped) that an admin
// uploads to Teams. The manifest is filled from manifest.template.json and the environment, its
// command menu comes from the command catalog so it cannot drift from what the bot understands,
// and it is validated offline against the JSON schema that @microsoft/app-manifest ships.
//
// Usage: npm run package -- [--allow-placeholder-id] [--out-dir <dir>]
//
// Environment (see ENV_VARS below for the defaults):
//   MicrosoftAppId            required; the bot's Microsoft Entra app (client) id, a GUID
//   TEAMS_APP_ID              optional GUID for the Teams app; defaults to MicrosoftAppId
//   BOT_DOMAIN                optional host the bot is served from; listed in validDomains
//   TEAMS_APP_DEVELOPER_NAME  optional; defaults to "PIM Alerts for Teams"
//   TEAMS_APP_WEBSITE_URL     https URL; defaults to https://<BOT_DOMAIN>/
//   TEAMS_APP_PRIVACY_URL     https URL; defaults to https://<BOT_DOMAIN>/privacy
//   TEAMS_APP_TERMS_URL       https URL; defaults to https://<BOT_DOMAIN>/terms
// The app version is package.json's version.
import fs from 'node:fs';
import path from 'node:path';
import { AppManifestUtils, type AppManifest, type TeamsManifestV1D30 } from '@microsoft/app-manifest';
import type { JSONSchemaType } from 'ajv';
import { COMMANDS } from '../bot/commands/catalog';
import { ICON_FILES, COLOR_ICON_SIZE, OUTLINE_ICON_SIZE } from './icons';
import { decodePng, readPngHeader, COLOR_TYPE } from './png';
import { createZip } from './zip';

export type TeamsManifest = TeamsManifestV1D30.TeamsManifestV1D30;
export type BotCommand = TeamsManifestV1D30.CommandListCommand;

/** The manifest version the template targets; its schema is bundled with @microsoft/app-manifest. */
export const MANIFEST_VERSION = '1.30';
export const PACKAGE_FILE_NAME = 'pim-alerts-teams.zip';
/** Stands in for the app ids in a validation-only build; Teams rejects it on upload, as it should. */
export const PLACEHOLDER_GUID = '00000000-0000-0000-0000-000000000000';
export const DEFAULT_DEVELOPER_NAME = 'PIM Alerts for Teams';

export const SOURCE_DIR = __dirname;
export const DEFAULT_OUT_DIR = path.join(__dirname, 'build');
const TEMPLATE_FILE = 'manifest.template.json';
const PACKAGE_JSON = path.join(__dirname, '..', 'package.json');

/** Every environment variable the packager reads, with its default, for docs and error messages. */
export const ENV_VARS = {
  MicrosoftAppId: 'required: the bot\'s Microsoft App ID (GUID)',
  TEAMS_APP_ID: 'defaults to MicrosoftAppId',
  BOT_DOMAIN: 'no default; validDomains stays empty without it',
  TEAMS_APP_DEVELOPER_NAME: `defaults to "${DEFAULT_DEVELOPER_NAME}"`,
  TEAMS_APP_WEBSITE_URL: 'defaults to https://<BOT_DOMAIN>/',
  TEAMS_APP_PRIVACY_URL: 'defaults to https://<BOT_DOMAIN>/privacy',
  TEAMS_APP_TERMS_URL: 'defaults to https://<BOT_DOMAIN>/terms',
} as const;

const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export type Env = Readonly<Record<string, string | undefined>>;

/** Values substituted for `${{NAME}}` placeholders in the template, plus the structural extras. */
export interface ManifestSettings {
  placeholders: Record<string, string>;
  /** Host (and port, if not 443) for validDomains, when BOT_DOMAIN is set. */
  botDomain?: string;
}

export interface SettingsResult {
  settings: ManifestSettings;
  errors: string[];
  warnings: string[];
}

function readEnv(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Accepts `host`, `host:port` or a pasted `https://host/` and returns the host part. */
export function normaliseDomain(raw: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    return undefined;
  }
  return url.host;
}

/**
 * Turns the environment into template values. Pure: everything it needs is passed in, and every
 * problem is reported (not just the first) so one run tells the operator all they must fix.
 */
export function resolveSettings(
  env: Env,
  options: { appVersion: string; allowPlaceholderId?: boolean },
): SettingsResult {
  const errors: string[] = [];
  const warnings: string[] = [];

  let botId = readEnv(env, 'MicrosoftAppId');
  if (botId === undefined) {
    if (options.allowPlaceholderId) {
      botId = PLACEHOLDER_GUID;
      warnings.push(
        `MicrosoftAppId is not set, so the package uses the placeholder id ${PLACEHOLDER_GUID}; it is for validation only and Teams will not accept it.`,
      );
    } else {
      errors.push(
        "MicrosoftAppId is not set; set it to the bot's Microsoft App ID (a GUID), or pass --allow-placeholder-id for a validation-only build.",
      );
    }
  } else if (!GUID.test(botId)) {
    errors.push(`MicrosoftAppId "${botId}" is not a GUID; set it to the bot's Microsoft App ID, e.g. 8f0c6c0e-1b2a-4c3d-9e8f-0a1b2c3d4e5f.`);
  } else if (botId === PLACEHOLDER_GUID && !options.allowPlaceholderId) {
    errors.push('MicrosoftAppId is the all-zero placeholder GUID; set it to the bot\'s real Microsoft App ID.');
  }

  const appIdEnv = readEnv(env, 'TEAMS_APP_ID');
  if (appIdEnv !== undefined && !GUID.test(appIdEnv)) {
    errors.push(`TEAMS_APP_ID "${appIdEnv}" is not a GUID; set a GUID or leave it unset to reuse MicrosoftAppId.`);
  }
  const appId = appIdEnv ?? botId ?? PLACEHOLDER_GUID;

  if (!SEMVER.test(options.appVersion)) {
    errors.push(`package.json version "${options.appVersion}" is not MAJOR.MINOR.PATCH; Teams needs a plain semantic version.`);
  }

  const rawDomain = readEnv(env, 'BOT_DOMAIN');
  let botDomain: string | undefined;
  if (rawDomain !== undefined) {
    botDomain = normaliseDomain(rawDomain);
    if (botDomain === undefined) {
      errors.push(`BOT_DOMAIN "${rawDomain}" is not a host name; set it to the bot's host, e.g. pim-alerts.azurewebsites.net.`);
    }
  }

  const missingUrls: string[] = [];
  const url = (name: string, pathOnDomain: string): string => {
    const value = readEnv(env, name);
    if (value !== undefined) {
      let ok = false;
      try {
        ok = new URL(value).protocol === 'https:';
      } catch {
        ok = false;
      }
      if (!ok) errors.push(`${name} "${value}" is not an https URL; set it to the page's full https:// address.`);
      return value;
    }
    if (botDomain !== undefined) return `https://${botDomain}/${pathOnDomain}`;
    if (options.allowPlaceholderId && rawDomain === undefined) {
      // A validation-only build still needs well-formed URLs; localhost makes it obvious they are not real.
      return `https://localhost/${pathOnDomain}`;
    }
    if (rawDomain === undefined) missingUrls.push(name);
    return '';
  };

  const placeholders: Record<string, string> = {
    MicrosoftAppId: botId ?? PLACEHOLDER_GUID,
    TEAMS_APP_ID: appId,
    APP_VERSION: options.appVersion,
    TEAMS_APP_DEVELOPER_NAME: readEnv(env, 'TEAMS_APP_DEVELOPER_NAME') ?? DEFAULT_DEVELOPER_NAME,
    TEAMS_APP_WEBSITE_URL: url('TEAMS_APP_WEBSITE_URL', ''),
    TEAMS_APP_PRIVACY_URL: url('TEAMS_APP_PRIVACY_URL', 'privacy'),
    TEAMS_APP_TERMS_URL: url('TEAMS_APP_TERMS_URL', 'terms'),
  };
  if (missingUrls.length) {
    const names = missingUrls.length === 1 ? `${missingUrls[0]} is` : `${missingUrls.slice(0, -1).join(', ')} and ${missingUrls.at(-1)} are`;
    errors.push(`${names} not set and there is no BOT_DOMAIN to derive ${missingUrls.length === 1 ? 'it' : 'them'} from; set BOT_DOMAIN or the URL${missingUrls.length === 1 ? '' : 's'}.`);
  }
  return { settings: { placeholders, ...(botDomain !== undefined ? { botDomain } : {}) }, errors, warnings };
}

const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Replaces `${{NAME}}` in every string of a JSON value; names it does not know are reported. */
export function fillPlaceholders(value: unknown, placeholders: Readonly<Record<string, string>>, unknown: Set<string>): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (whole, name: string) => {
      const replacement = placeholders[name];
      if (replacement === undefined) {
        unknown.add(name);
        return whole;
      }
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((v) => fillPlaceholders(v, placeholders, unknown));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillPlaceholders(v, placeholders, unknown)]));
  }
  return value;
}

/** Length limits of a bot command in the given manifest schema. */
export function commandLimits(schema: unknown): { title: number; description: number } {
  // Walk the schema defensively: a future schema that moves these fields should fail loudly here.
  const command = (schema as {
    properties?: { bots?: { items?: { properties?: { commandLists?: { items?: { properties?: { commands?: { items?: { properties?: Record<string, { maxLength?: number }> } } } } } } } } };
  }).properties?.bots?.items?.properties?.commandLists?.items?.properties?.commands?.items?.properties;
  const title = command?.['title']?.maxLength;
  const description = command?.['description']?.maxLength;
  if (typeof title !== 'number' || typeof description !== 'number') {
    throw new Error('The manifest schema has no maxLength for bot command titles or descriptions; update manifest/package.ts for this schema.');
  }
  return { title, description };
}

function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/**
 * The compose-box menu: the catalog's `inManifest` commands, titled by command name so choosing one
 * sends text the parser recognises, and described by the catalog (cut to the schema's limit).
 */
export function manifestCommands(limits: { title: number; description: number }): BotCommand[] {
  return COMMANDS.filter((c) => c.inManifest).map((c) => ({ title: c.name, description: cut(c.description, limits.description) }));
}

export interface RenderResult {
  manifest: TeamsManifest;
  errors: string[];
}

/** Fills the template: placeholders, command lists for every scope, and validDomains. Pure. */
export function renderManifest(template: unknown, settings: ManifestSettings, schema: unknown): RenderResult {
  const errors: string[] = [];
  const unknown = new Set<string>();
  const manifest = fillPlaceholders(template, settings.placeholders, unknown) as TeamsManifest;
  for (const name of unknown) {
    errors.push(`${TEMPLATE_FILE} uses the placeholder \${{${name}}}, which the packager does not fill; remove it or add it to resolveSettings.`);
  }
  const limits = commandLimits(schema);
  const commands = manifestCommands(limits);
  for (const c of commands) {
    if (c.title.length > limits.title) {
      errors.push(`Command "${c.title}" is longer than the ${limits.title} characters a manifest command title may have; rename it in the catalog.`);
    }
  }
  const bot = manifest.bots?.[0];
  if (!bot) {
    errors.push(`${TEMPLATE_FILE} has no bot; it must declare one in "bots".`);
  } else {
    if (!bot.commandLists?.length) {
      errors.push(`${TEMPLATE_FILE} has no commandLists for the bot; add one entry per scope.`);
    }
    for (const list of bot.commandLists ?? []) list.commands = commands.map((c) => ({ ...c }));
  }
  manifest.validDomains = settings.botDomain !== undefined ? [settings.botDomain] : [];
  return { manifest, errors };
}

/** Path of the JSON schema for MANIFEST_VERSION inside the installed @microsoft/app-manifest. */
export function bundledSchemaPath(version: string = MANIFEST_VERSION): string {
  const pkg = require.resolve('@microsoft/app-manifest/package.json');
  return path.join(path.dirname(pkg), 'build', 'json-schemas', 'teams', `v${version}`, 'MicrosoftTeams.schema.json');
}

/** Loads the bundled schema. Passing it to the validator explicitly keeps validation offline. */
export function loadManifestSchema(version: string = MANIFEST_VERSION): object {
  const file = bundledSchemaPath(version);
  if (!fs.existsSync(file)) {
    throw new Error(`@microsoft/app-manifest does not ship the Teams manifest ${version} schema (${file}); install a version that does.`);
  }
  // The published schemas contain "\a" and "\v" escapes that JSON does not allow; the package's own
  // loader rewrites them the same way.
  const text = fs.readFileSync(file, 'utf8').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b');
  return JSON.parse(text) as object;
}

/** Schema errors for a manifest (empty when valid), checked against the bundled schema only. */
export async function validateManifest(manifest: unknown, schema: object = loadManifestSchema()): Promise<string[]> {
  const errors = await AppManifestUtils.validateAgainstSchema(manifest as AppManifest, schema as JSONSchemaType<AppManifest>);
  return errors.map((e) => `manifest.json${e.startsWith('/') ? '' : ' '}${e.trim()}`);
}

/** Checks the icons the way Teams does: exact sizes, and a white-on-transparent outline icon. */
export function checkIcons(color: Buffer, outline: Buffer): string[] {
  const errors: string[] = [];
  try {
    const h = readPngHeader(color);
    if (h.width !== COLOR_ICON_SIZE || h.height !== COLOR_ICON_SIZE) {
      errors.push(`${ICON_FILES.color} is ${h.width}x${h.height}; Teams needs a ${COLOR_ICON_SIZE}x${COLOR_ICON_SIZE} colour icon.`);
    }
  } catch (e) {
    errors.push(`${ICON_FILES.color}: ${(e as Error).message}`);
  }
  try {
    const img = decodePng(outline);
    if (img.width !== OUTLINE_ICON_SIZE || img.height !== OUTLINE_ICON_SIZE) {
      errors.push(`${ICON_FILES.outline} is ${img.width}x${img.height}; Teams needs a ${OUTLINE_ICON_SIZE}x${OUTLINE_ICON_SIZE} outline icon.`);
    } else if (img.colorType !== COLOR_TYPE.rgba && img.colorType !== COLOR_TYPE.grayAlpha) {
      errors.push(`${ICON_FILES.outline} has no alpha channel; Teams needs white on a transparent background.`);
    } else {
      const channels = img.colorType === COLOR_TYPE.rgba ? 4 : 2;
      let offending = 0;
      for (let i = 0; i < img.pixels.length; i += channels) {
        const alpha = img.pixels[i + channels - 1]!;
        let white = true;
        for (let c = 0; c < channels - 1; c++) if (img.pixels[i + c] !== 255) white = false;
        if (alpha !== 0 && !white) offending++;
      }
      if (offending > 0) {
        errors.push(`${ICON_FILES.outline} has ${offending} visible pixels that are not white; Teams needs white (#FFFFFF) on a transparent background.`);
      }
    }
  } catch (e) {
    errors.push(`${ICON_FILES.outline}: ${(e as Error).message}`);
  }
  return errors;
}

export interface BuildAppPackageOptions {
  env: Env;
  /** Where the zip goes; defaults to manifest/build. */
  outDir?: string;
  /** Use PLACEHOLDER_GUID when MicrosoftAppId is unset (validation-only builds). */
  allowPlaceholderId?: boolean;
  /** Folder holding manifest.template.json, color.png and outline.png; defaults to manifest/. */
  sourceDir?: string;
  /** Defaults to package.json's version. */
  appVersion?: string;
}

export interface BuildAppPackageResult {
  /** The written package, or undefined when there were errors (a stale package is removed). */
  zipPath: string | undefined;
  /** The filled manifest, or undefined when the environment could not fill it. */
  manifest: TeamsManifest | undefined;
  errors: string[];
  warnings: string[];
}

export async function buildAppPackage(options: BuildAppPackageOptions): Promise<BuildAppPackageResult> {
  const sourceDir = options.sourceDir ?? SOURCE_DIR;
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const zipFile = path.join(outDir, PACKAGE_FILE_NAME);
  const appVersion = options.appVersion ?? (JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;

  const fail = (errors: string[], warnings: string[], manifest?: TeamsManifest): BuildAppPackageResult => {
    // A package left over from an earlier run would look like the output of this failed one.
    fs.rmSync(zipFile, { force: true });
    return { zipPath: undefined, manifest, errors, warnings };
  };

  const { settings, errors, warnings } = resolveSettings(options.env, {
    appVersion,
    ...(options.allowPlaceholderId !== undefined ? { allowPlaceholderId: options.allowPlaceholderId } : {}),
  });
  if (errors.length) return fail(errors, warnings);

  const schema = loadManifestSchema();
  const template: unknown = JSON.parse(fs.readFileSync(path.join(sourceDir, TEMPLATE_FILE), 'utf8'));
  const rendered = renderManifest(template, settings, schema);
  const manifest = rendered.manifest;
  const problems = [...rendered.errors];
  if (manifest.manifestVersion !== MANIFEST_VERSION) {
    problems.push(`${TEMPLATE_FILE} declares manifestVersion ${String(manifest.manifestVersion)} but the packager validates ${MANIFEST_VERSION}; keep them equal.`);
  }
  problems.push(...(await validateManifest(manifest, schema)));

  const iconFiles = [manifest.icons?.color, manifest.icons?.outline];
  if (iconFiles[0] !== ICON_FILES.color || iconFiles[1] !== ICON_FILES.outline) {
    problems.push(`${TEMPLATE_FILE} must name the icons "${ICON_FILES.color}" and "${ICON_FILES.outline}", which is what the package contains.`);
  }
  const read = (name: string): Buffer | undefined => {
    try {
      return fs.readFileSync(path.join(sourceDir, name));
    } catch {
      problems.push(`${name} is missing from ${sourceDir}; run \`tsx manifest/icons.ts\` to draw it.`);
      return undefined;
    }
  };
  const color = read(ICON_FILES.color);
  const outline = read(ICON_FILES.outline);
  if (color && outline) problems.push(...checkIcons(color, outline));
  if (problems.length) return fail(problems, warnings, manifest);

  const manifestJson = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  const zip = createZip([
    { name: 'manifest.json', data: manifestJson },
    { name: ICON_FILES.color, data: color! },
    { name: ICON_FILES.outline, data: outline! },
  ]);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(zipFile, zip);
  return { zipPath: zipFile, manifest, errors: [], warnings };
}

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/** The `npm run package` entry point; returns the exit code. */
export async function main(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  let allowPlaceholderId = false;
  let outDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--allow-placeholder-id') allowPlaceholderId = true;
    else if (arg === '--out-dir' && argv[i + 1] !== undefined) outDir = path.resolve(argv[++i]!);
    else if (arg.startsWith('--out-dir=')) outDir = path.resolve(arg.slice('--out-dir='.length));
    else {
      io.stderr(`Unknown argument "${arg}"; use [--allow-placeholder-id] [--out-dir <dir>].`);
      return 2;
    }
  }
  const result = await buildAppPackage({ env, allowPlaceholderId, ...(outDir !== undefined ? { outDir } : {}) });
  for (const w of result.warnings) io.stderr(`warning: ${w}`);
  if (result.errors.length) {
    io.stderr(`The Teams app package was not built (${result.errors.length} problem${result.errors.length === 1 ? '' : 's'}):`);
    for (const e of result.errors) io.stderr(`  ${e}`);
    return 1;
  }
  io.stdout(`Wrote ${result.zipPath} (manifest ${MANIFEST_VERSION}, app ${result.manifest?.id}, version ${result.manifest?.version}).`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`The Teams app package could not be built: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
