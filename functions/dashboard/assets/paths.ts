/** Where the dashboard's stylesheet and script are served (functions/dashboard/mount.ts). */
export const STYLE_PATH = '/dashboard/assets/dashboard.css';
export const SCRIPT_PATH = '/dashboard/assets/dashboard.js';
