/**
 * Redaction for `--log-tool-args`: a copy of a tool call's arguments with whatever looks like a
 * secret replaced by `[redacted]`, found two ways.
 *
 * By key. A key is normalized first: Unicode NFKC with combining marks and invisible characters
 * dropped, common Cyrillic and Greek look-alikes mapped to Latin letters, then split into words
 * (separators and camelCase) and lower-cased. `Pass-Word`, `privateKey`, `x-api-key`,
 * `client_secret`, `ｐａｓｓｗｏｒｄ` and `pаssword` (Cyrillic а) all match. Two kinds of rule:
 * - fragments, found anywhere in the words run together (`password`, `secret`, `apikey`, …):
 *   long and specific enough that no ordinary key contains them;
 * - short words (`pin`, `otp`, `pwd`, `auth`, `token`, …), which must be a whole word of the key,
 *   so `card_pin` and `otpCode` match while `opinion`, `spinner`, `author` and `max_tokens` do not.
 * The whole value under such a key goes, whatever its type.
 *
 * By value shape, in every string anywhere (under any key, in arrays, at the top): the userinfo of
 * a URL (`https://[redacted]@host/…`) and URL query parameters with a secret key, an
 * authorization-scheme value (`Bearer …`, `Basic …`, `Token …`, `Digest …`), a JWT, a PEM block,
 * and API keys by their providers' prefixes (`sk-`, `ghp_`, `xoxb-`, `AKIA`, `AIza`, …). Only the
 * matching span is replaced, so the rest of the string stays readable.
 *
 * Pure: no I/O, table-tested.
 */

export const REDACTED = '[redacted]';
const MAX_DEPTH = 8;

/** Found anywhere in the key's words run together. */
const SECRET_FRAGMENTS = [
  'password', 'passwd', 'passphrase', 'passcode', 'secret', 'apikey', 'privatekey', 'accesskey', 'secretkey', 'signingkey',
  'encryptionkey', 'masterkey', 'sshkey', 'credential', 'cookie', 'authorization', 'bearer', 'signature', 'sessionid',
  'sessionkey', 'connectionstring', 'refreshtoken', 'accesstoken', 'idtoken', 'authtoken',
];

/** Must be a whole word of the key. */
const SECRET_WORDS = new Set([
  'pin', 'pincode', 'otp', 'totp', 'hotp', 'mfa', 'pwd', 'pw', 'pass', 'auth', 'token', 'sig', 'jwt', 'cvv', 'cvc', 'dsn',
  'session', 'xsrf', 'csrf',
]);

/** Cyrillic and Greek letters that look like Latin ones (the common confusables), both cases. */
const CONFUSABLES: Readonly<Record<string, string>> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w',
  А: 'A', В: 'B', Е: 'E', Ё: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', У: 'Y', Х: 'X', І: 'I', Ї: 'I', Ј: 'J', Ѕ: 'S',
  α: 'a', β: 'b', ε: 'e', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
};
const CONFUSABLE = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'gu');

/** A key as the words it is made of, lower-cased Latin: `x-API_Key` → `['x', 'api', 'key']`. */
export function keyWords(key: string): string[] {
  const plain = key
    .normalize('NFKD')
    .replace(/[\p{M}\p{Cf}]/gu, '') // accents, zero-width joiners and other invisible characters
    .normalize('NFKC')
    .replace(CONFUSABLE, (letter) => CONFUSABLES[letter] ?? letter);
  return plain
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase());
}

/** Whether the value under `key` is to be redacted whole. */
export function isSecretKey(key: string): boolean {
  const words = keyWords(key);
  if (words.some((word) => SECRET_WORDS.has(word))) return true;
  const joined = words.join('');
  return SECRET_FRAGMENTS.some((fragment) => joined.includes(fragment));
}

/** A credential after an authorization scheme: token68 that has a digit or a symbol, or is long. */
const SCHEME_VALUE = /\b(Bearer|Basic|Token)(\s+)([A-Za-z0-9._~+/-]+=*)/gi;
const DIGEST_VALUE = /\b(Digest\s+)[A-Za-z]+=[^\r\n]*/gi;
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const PEM = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;
const URL_QUERY_PARAM = /([?&])([^=&#\s]+)=([^&#\s]*)/g;

/** API keys by provider prefix; each needs enough key material after it to rule out words. */
const PROVIDER_KEYS = new RegExp(
  '(?<![A-Za-z0-9_-])(?:' +
    [
      'sk-[A-Za-z0-9_-]{20,}', // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), DeepSeek, …
      '(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}', // Stripe secret and restricted keys
      'whsec_[A-Za-z0-9]{20,}', // Stripe webhook secrets
      'gh[pousr]_[A-Za-z0-9]{30,}', // GitHub tokens
      'github_pat_[A-Za-z0-9_]{30,}',
      'xox[abposr]-[A-Za-z0-9-]{10,}', // Slack
      'xapp-[A-Za-z0-9-]{10,}',
      '(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])', // AWS access key ids
      'AIza[A-Za-z0-9_-]{35}', // Google API keys
      'gl(?:pat|dt|rt|ptt|oas)-[A-Za-z0-9_-]{20,}', // GitLab
      'npm_[A-Za-z0-9]{36}', // npm
      'hf_[A-Za-z0-9]{30,}', // Hugging Face
      'pypi-[A-Za-z0-9_-]{50,}', // PyPI
      'SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}', // SendGrid
      'shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}', // Shopify
      'dop_v1_[a-f0-9]{64}', // DigitalOcean
      'xai-[A-Za-z0-9]{40,}', // xAI
      'lin_api_[A-Za-z0-9]{30,}', // Linear
    ].join('|') +
    ')',
  'g',
);

function redactSchemeValue(match: string, scheme: string, space: string, credential: string): string {
  // Prose ("Basic information", "bearer of news") has no digit or symbol and short words; a
  // Basic credential is base64, a bearer token is long or has dots and dashes (JWTs, opaque ids).
  const symbols = scheme.toLowerCase() === 'bearer' ? /[0-9._~+/=-]/ : /[0-9_~+/=]/;
  return symbols.test(credential) || credential.length >= 16 ? `${scheme}${space}${REDACTED}` : match;
}

/** `text` with every secret-shaped span replaced. */
export function redactString(text: string): string {
  return text
    .replace(PEM, REDACTED)
    .replace(JWT, REDACTED)
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(URL_QUERY_PARAM, (match: string, lead: string, name: string) => (isSecretKey(decodeQueryName(name)) ? `${lead}${name}=${REDACTED}` : match))
    .replace(DIGEST_VALUE, `$1${REDACTED}`)
    .replace(SCHEME_VALUE, redactSchemeValue)
    .replace(PROVIDER_KEYS, REDACTED);
}

function decodeQueryName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name; // not percent-encoded correctly: judge it as written
  }
}

/** A copy of `value` with every value under a secret key, and every secret-shaped string span, replaced. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return '[too deep]';
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = isSecretKey(key) ? REDACTED : redactSecrets(item, depth + 1);
  return copy;
}
