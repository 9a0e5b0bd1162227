import { type JSX, splitProps } from "solid-js";
import { navigate } from "../lib/router.ts";

/** Props of a Link: an anchor's attributes, a required in-app `href`, and what to do just before navigating. */
export type LinkProps = Omit<JSX.AnchorHTMLAttributes<HTMLAnchorElement>, "href" | "onClick"> & { href: string; onNavigate?: () => void };

/** An in-app link: a real `<a href>` that changes page without a reload. A modified or non-primary click is left to the browser (new tab, new window). */
export function Link(props: LinkProps) {
  const [local, rest] = splitProps(props, ["href", "onNavigate"]);
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    local.onNavigate?.();
    navigate(local.href);
  };
  return <a {...rest} href={local.href} onClick={onClick} />;
}
