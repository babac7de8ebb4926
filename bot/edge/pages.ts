// The three pages a Teams app manifest links to (developer website, privacy, terms). The manifest's
// defaults point at the bot's own host (BOT_DOMAIN), so the bot serves them itself and the links
// in the Teams app store entry work without a separate website.

const STYLE = 'body{font-family:Segoe UI,system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#242424}h1{font-size:1.6rem}';

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>${STYLE}</style></head><body><h1>${title}</h1>${body}</body></html>`;
}

export const PAGES: Readonly<Record<string, string>> = {
  '/': page(
    'PIM Alerts for Teams',
    `<p>A Microsoft Teams bot that brings Azure Privileged Identity Management (PIM) security alerts into the channel where your security team works, and lets operators dismiss, remediate, rescan and configure them from Adaptive Cards.</p>
<p>Changes run under the bot's managed identity, and only for people whose own Azure role assignments would allow the same change in the Azure portal. Every change is audited.</p>
<p>In Teams, type <code>help</code> to the bot to see every command.</p>`,
  ),
  '/privacy': page(
    'Privacy',
    `<p>This bot is run by your organisation. It keeps, in its own data store and nowhere else:</p>
<ul>
<li>an audit log of every attempted change: who (Microsoft Entra object id and display name), what, on which Azure scope, the result, the Azure request id and the time;</li>
<li>the Teams conversation references it needs to post digests and results (conversation, channel and team ids, service URL), and digest subscriptions;</li>
<li>refreshes in progress, so that their results are reported after a restart;</li>
<li>the key it signs card buttons with.</li>
</ul>
<p>It reads Azure PIM alerts and, to decide whether you may act, your Azure role assignments. It does not store message text, and it sends nothing to third parties. Ask your administrator to delete your entries from the audit log.</p>`,
  ),
  '/terms': page(
    'Terms of use',
    `<p>This bot is operated by your organisation for its own staff, under your organisation's acceptable use policy. Actions taken through it change Azure role management alerts with the same effect as in the Azure portal, and are recorded in an audit log.</p>
<p>It is provided as is, without warranty of any kind.</p>`,
  ),
};
