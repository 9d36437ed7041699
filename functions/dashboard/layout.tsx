import type { PropsWithChildren } from 'hono/jsx';
import { access, type Access } from '../domain/roles';
import { PostForm } from './components';
import type { Viewer } from './context';
import { SCRIPT_PATH, STYLE_PATH } from './assets/paths';
import { noticeText } from './view/notices';

/** The dashboard's sections, each shown to those whose role may read it. */
const sections: { href: string; label: string; access: Access }[] = [
  { href: '/dashboard', label: 'Overview', access: access.read },
  { href: '/dashboard/terminals', label: 'Terminals', access: access.read },
  { href: '/dashboard/pending', label: 'Pending', access: access.read },
  { href: '/dashboard/groups', label: 'Groups', access: access.read },
  { href: '/dashboard/display-clients', label: 'Display clients', access: access.read },
  { href: '/dashboard/terminal-servers', label: 'Terminal servers', access: access.read },
  { href: '/dashboard/firmware', label: 'Firmware', access: access.read },
  { href: '/dashboard/license', label: 'Licence', access: access.read },
  { href: '/dashboard/redundancy', label: 'Redundancy', access: access.monitor },
  { href: '/dashboard/history', label: 'History', access: access.read },
  { href: '/dashboard/events', label: 'Events', access: access.read },
  { href: '/dashboard/tokens', label: 'Tokens', access: access.administer },
];

interface PageProps {
  title: string;
  /** The section this page belongs to, marked in the navigation. */
  section?: string;
  viewer?: Viewer | null;
  serverId: string;
  notice?: string;
}

/** The page around every dashboard view: header, read-only banner, navigation, main. */
export const Page = (props: PropsWithChildren<PageProps>) => {
  const { viewer } = props;
  const notice = noticeText(props.notice);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Tandem ${props.serverId}`}</title>
        <link rel="stylesheet" href={STYLE_PATH} />
        <script src={SCRIPT_PATH} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">Tandem</span>
          <span class="server">
            server <strong>{props.serverId}</strong>
          </span>
          {viewer ? (
            <span class="who">
              signed in as <strong>{viewer.name}</strong> ({viewer.role})
              <PostForm viewer={viewer} action="/dashboard/sign-out" label="Sign out" class="inline">
                <button type="submit" class="link">
                  Sign out
                </button>
              </PostForm>
            </span>
          ) : null}
        </header>
        {viewer?.readOnly ? (
          <div class="banner" role="region" aria-label="Read-only server">
            <p>
              This server is the secondary of a mirrored pair: it is <strong>read-only</strong>. Make changes on the primary
              {viewer.primaryDashboard ? (
                <>
                  {' '}
                  at <a href={viewer.primaryDashboard}>{viewer.primaryDashboard}</a>
                </>
              ) : (
                ' (TANDEM_PEER_URL is not set on this server)'
              )}
              ; they reach this server by synchronisation.
            </p>
          </div>
        ) : null}
        {viewer ? (
          <nav class="sections" aria-label="Dashboard">
            <ul>
              {sections
                .filter((s) => viewer.may(s.access, false))
                .map((s) => (
                  <li>
                    <a href={s.href} aria-current={s.href === props.section ? 'page' : undefined}>
                      {s.label}
                    </a>
                  </li>
                ))}
            </ul>
          </nav>
        ) : null}
        <main id="main">
          <h1>{props.title}</h1>
          {notice ? (
            <p class="notice" role="status">
              {notice}
            </p>
          ) : null}
          {props.children}
        </main>
      </body>
    </html>
  );
};
