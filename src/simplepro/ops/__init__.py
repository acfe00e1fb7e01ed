"""Operations: the task queue and scheduler (Huey), and the records operators read about them."""
