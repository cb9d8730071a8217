import { createRoot } from 'react-dom/client';
import { installApi } from './api/index.ts';
import { App } from './App.tsx';
import { ConnectionGate } from './components/ConnectionGate.tsx';
import './styles.css';

const api = installApi();
createRoot(document.getElementById('root')!).render(
  <ConnectionGate>
    <App api={api} />
  </ConnectionGate>,
);
