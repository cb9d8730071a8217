// Shows the app, or, when the browser host refused the page's token (or the URL had none), a page
// that says so and how to get the right URL: never an empty app that cannot load anything.
import type { ReactNode } from 'react';
import { useConnection } from '../api/connection.ts';

export function ConnectionGate({ children }: { children: ReactNode }) {
  const c = useConnection();
  if (c.state !== 'unauthorized') return <>{children}</>;
  return (
    <main className="token-error" data-testid="token-error" role="alert">
      <h1>CardShark cannot open this page</h1>
      <p>{c.reason === 'missing' ? 'This address has no access token.' : 'The access token in this address is wrong or out of date (it changes every time CardShark starts).'}</p>
      <p>To get the right address:</p>
      <ol>
        <li>
          Find the terminal where CardShark runs, or start it there with <code>npm start</code> (as the README says).
        </li>
        <li>
          Open the address it prints, all of it: <code>CardShark is running at http://127.0.0.1:…/#token=…</code>
        </li>
      </ol>
      <p>Nothing was loaded or changed with the refused token.</p>
    </main>
  );
}
