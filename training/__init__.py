"""Training machinery: the LightningModule, trainer, freeze scheduler, distributed plan, interrupts, resume, the run
folder, loggers and reports. Reads the config (`utils`), the models and the data; nothing below imports it."""
