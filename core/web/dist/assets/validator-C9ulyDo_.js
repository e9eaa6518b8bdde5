import{y as i}from"./el-button-CWmIuAXw.js";const n=o=>["",...i].includes(o);export{n as i};
