"""The application shell: start-up, the main window, its modes, menus, tray and theme."""
