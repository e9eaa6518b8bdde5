import{y as i}from"./el-button-CqaPWZsW.js";const n=o=>["",...i].includes(o);export{n as i};
