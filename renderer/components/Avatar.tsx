// An avatar slot: the picture when one is given (a data: URL from the character), else initials.
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]!, words[words.length - 1]!].map((w) => [...w][0]) : [...(words[0] ?? '?')].slice(0, 2);
  return letters.join('').toUpperCase();
}

export function Avatar({ name, src, size = 36 }: { name: string; src?: string | undefined; size?: number }) {
  // Only data: URLs: the renderer's CSP allows them, and nothing is fetched from elsewhere.
  if (src && src.startsWith('data:image/')) {
    return <img className="avatar" src={src} alt="" width={size} height={size} data-testid="avatar" />;
  }
  return (
    <span className="avatar avatar-initials" aria-hidden="true" style={{ width: size, height: size, lineHeight: `${size}px` }} data-testid="avatar">
      {initials(name)}
    </span>
  );
}
